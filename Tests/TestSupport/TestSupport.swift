// Helpers shared by integration tests (real redis-server and real processes).
