// epoll for the load generator's spectators (Swift's Glibc module does not include it).
#include <sys/epoll.h>
