/*
 * A STUB of QEMU's tests/qtest/libqtest.h (as of QEMU 7.2), declarations only, for gicreplay's
 * compile check of exported qtests (see glib.h): just what an exported file calls, with
 * libqtest's names and argument types. It is not libqtest, and nothing links against it.
 */
#ifndef GICREPLAY_QTEST_STUB_LIBQTEST_H
#define GICREPLAY_QTEST_STUB_LIBQTEST_H

#include <stdint.h>

typedef struct QTestState QTestState;

QTestState *qtest_init(const char *extra_args);
void qtest_quit(QTestState *s);
uint8_t qtest_readb(QTestState *s, uint64_t addr);
uint16_t qtest_readw(QTestState *s, uint64_t addr);
uint32_t qtest_readl(QTestState *s, uint64_t addr);
uint64_t qtest_readq(QTestState *s, uint64_t addr);
void qtest_writeb(QTestState *s, uint64_t addr, uint8_t value);
void qtest_writew(QTestState *s, uint64_t addr, uint16_t value);
void qtest_writel(QTestState *s, uint64_t addr, uint32_t value);
void qtest_writeq(QTestState *s, uint64_t addr, uint64_t value);
void qtest_add_func(const char *str, void (*fn)(void));
void qtest_irq_intercept_in(QTestState *s, const char *string);
bool qtest_get_irq(QTestState *s, int num);

#endif
