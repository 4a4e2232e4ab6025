// The system zlib for permessage-deflate (RFC 7692). inflateInit2 and deflateInit2 are macros that
// Swift cannot call, so they are wrapped here.
#include <zlib.h>

static inline int czlib_inflate_init_raw(z_streamp stream, int windowBits) {
    return inflateInit2(stream, -windowBits);
}

static inline int czlib_deflate_init_raw(z_streamp stream, int level, int windowBits, int memLevel) {
    return deflateInit2(stream, level, Z_DEFLATED, -windowBits, memLevel, Z_DEFAULT_STRATEGY);
}
