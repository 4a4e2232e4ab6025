// The Benchmarks module. See README.md, "Architecture".
