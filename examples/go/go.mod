module github.com/screenshare-protocol/screenshare/examples/go

go 1.24.0

tool (
	connectrpc.com/connect/cmd/protoc-gen-connect-go
	google.golang.org/protobuf/cmd/protoc-gen-go
)

require (
	connectrpc.com/connect v1.19.1
	github.com/golang-jwt/jwt/v5 v5.3.1
	google.golang.org/protobuf v1.36.11
)
