/* STUB of the KVM selftest library's test_util.h and kselftest.h (see kvm_util.h here): declarations only. */
#ifndef GICREPLAY_SELFTEST_STUB_TEST_UTIL_H
#define GICREPLAY_SELFTEST_STUB_TEST_UTIL_H

#include <stdio.h>

void test_assert(int exp, const char *exp_str, const char *file, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void ksft_exit_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void ksft_print_header(void);
void ksft_set_plan(unsigned int plan);
void ksft_test_result_pass(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ksft_test_result_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ksft_finished(void) __attribute__((noreturn));

#define TEST_ASSERT(e, fmt, ...) test_assert((e), #e, __FILE__, __LINE__, fmt, ##__VA_ARGS__)
#define TEST_FAIL(fmt, ...) test_assert(0, "", __FILE__, __LINE__, fmt, ##__VA_ARGS__)
#define __TEST_REQUIRE(f, fmt, ...) do { if (!(f)) ksft_exit_skip("- " fmt "\n", ##__VA_ARGS__); } while (0)

#endif
