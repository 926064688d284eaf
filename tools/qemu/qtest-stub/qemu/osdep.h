/*
 * A STUB of QEMU's include/qemu/osdep.h for gicreplay's compile check of exported qtests (see
 * ../glib.h): the standard headers an exported file relies on, and GLib's test declarations.
 */
#ifndef GICREPLAY_QTEST_STUB_OSDEP_H
#define GICREPLAY_QTEST_STUB_OSDEP_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "glib.h"

#endif
