// The WebSocket module. See README.md, "Architecture".
