// Every server test again, with state in Redis instead of the embedded store.
process.env.SCREENSHARE_TEST_STORE = "redis";
await import("./server.test.js");
