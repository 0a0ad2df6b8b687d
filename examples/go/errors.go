package main

import (
	"errors"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
)

// detail returns the first error detail of type T that err carries: LiveSessionConflict, RetryDelay or
// FieldViolation from errors.proto. The details arrive typed; never parse the message for them.
func detail[T proto.Message](err error) (T, bool) {
	var zero T
	var connectErr *connect.Error
	if !errors.As(err, &connectErr) {
		return zero, false
	}
	for _, d := range connectErr.Details() {
		// Value fails only for a detail type this binary does not know; such a detail is not a T either.
		if value, err := d.Value(); err == nil {
			if typed, ok := value.(T); ok {
				return typed, true
			}
		}
	}
	return zero, false
}
