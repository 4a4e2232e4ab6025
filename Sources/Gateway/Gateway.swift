// The Gateway module. See README.md, "Architecture".
