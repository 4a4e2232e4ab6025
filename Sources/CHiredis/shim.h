#ifndef MONOPOLY_CHIREDIS_SHIM_H
#define MONOPOLY_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <hiredis/read.h>

/* Swift cannot import function-like macros, so the few hiredis macros the
 * Redis target needs are wrapped here as static inline functions. */

/* redisReaderGetError(r): the reader's error string (empty when no error). */
static inline const char *chiredis_reader_error(const redisReader *r) {
    return r->errstr;
}

/* The reader's error flag: 0 when healthy, REDIS_ERR_PROTOCOL / REDIS_ERR_OOM ... otherwise. */
static inline int chiredis_reader_error_code(const redisReader *r) {
    return r->err;
}

/* Bytes fed to the reader that it has not yet turned into replies
 * (a partial reply waiting for more input). Used to cap reply size. */
static inline size_t chiredis_reader_unparsed_bytes(const redisReader *r) {
    return r->len - r->pos;
}

/* Max unused buffer kept by the reader before it compacts (0 = always compact). */
static inline void chiredis_reader_set_maxbuf(redisReader *r, size_t maxbuf) {
    r->maxbuf = maxbuf;
}

static inline int chiredis_reply_ok(void) { return REDIS_OK; }

#endif
