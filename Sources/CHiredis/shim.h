#ifndef MONOPOLY_CHIREDIS_SHIM_H
#define MONOPOLY_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#endif
