/*
 * A STUB of the few GLib test declarations an exported qtest uses, written for gicreplay's tests:
 * so that `gicreplay export --format qtest` output can be compiled here (gcc -c, no link) where
 * neither GLib's headers nor QEMU's tree are installed. Names and argument types follow GLib 2.x
 * (gtestutils.h); the assertion macros only compare and abort. It is not GLib, and nothing links
 * against it. Running the exported file needs QEMU's tree (tests/qtest/), or `gicreplay run-qtest`.
 */
#ifndef GICREPLAY_QTEST_STUB_GLIB_H
#define GICREPLAY_QTEST_STUB_GLIB_H

#include <stdint.h>
#include <stdlib.h>

#define G_N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))
#define g_assert_not_reached() abort()
#define g_assert_cmphex(n1, cmp, n2) do { uint64_t gicreplay_a_ = (n1), gicreplay_b_ = (n2); if (!(gicreplay_a_ cmp gicreplay_b_)) abort(); } while (0)
#define g_assert_cmpuint(n1, cmp, n2) g_assert_cmphex(n1, cmp, n2)
#define g_assert_cmpint(n1, cmp, n2) do { int64_t gicreplay_a_ = (n1), gicreplay_b_ = (n2); if (!(gicreplay_a_ cmp gicreplay_b_)) abort(); } while (0)

void g_test_init(int *argc, char ***argv, ...);
int g_test_run(void);
void g_test_message(const char *format, ...) __attribute__((format(printf, 1, 2)));

#endif
