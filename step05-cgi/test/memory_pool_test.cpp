// Unit tests for MemoryPool (libmicrohttpd: MHD_pool_create, MHD_pool_allocate,
// MHD_pool_reset): alignment, exhaustion, accounting, and reset keeping the
// bytes of a pipelined request. Introduced in step03.
#include "memory_pool.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace {

constexpr std::size_t kAlign = alignof(std::max_align_t);

bool aligned(const char* p) { return reinterpret_cast<std::uintptr_t>(p) % kAlign == 0; }

TEST(MemoryPool, StartsEmpty) {
    MemoryPool pool(4096);
    EXPECT_EQ(pool.size(), 4096u);
    EXPECT_EQ(pool.used(), 0u);
    EXPECT_EQ(pool.available(), 4096u);
}

TEST(MemoryPool, EveryAllocationIsAlignedForAnyType) {
    MemoryPool pool(4096);
    for (std::size_t bytes : {1u, 3u, 7u, 16u, 17u, 100u}) {
        char* p = pool.allocate(bytes);
        ASSERT_NE(p, nullptr) << bytes;
        EXPECT_TRUE(aligned(p)) << "after allocating " << bytes << " bytes";
    }
}

TEST(MemoryPool, AllocationsDoNotOverlap) {
    MemoryPool pool(1024);
    char* a = pool.allocate(10);
    char* b = pool.allocate(10);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_GE(b, a + 10);
    std::memset(a, 'a', 10);
    std::memset(b, 'b', 10);
    EXPECT_EQ(std::string(a, 10), std::string(10, 'a'));
}

TEST(MemoryPool, UsedAndAvailableCountPaddingToo) {
    MemoryPool pool(1024);
    ASSERT_NE(pool.allocate(1), nullptr);
    EXPECT_EQ(pool.used(), 1u);
    ASSERT_NE(pool.allocate(1), nullptr);  // starts at the next aligned offset
    EXPECT_EQ(pool.used(), kAlign + 1);
    EXPECT_EQ(pool.available(), 1024 - (kAlign + 1));
    EXPECT_EQ(pool.used() + pool.available(), pool.size());
}

TEST(MemoryPool, ExactFitSucceeds) {
    MemoryPool pool(4096);
    ASSERT_NE(pool.allocate(4096), nullptr);
    EXPECT_EQ(pool.available(), 0u);
}

TEST(MemoryPool, ExhaustionReturnsNullAndChangesNothing) {
    MemoryPool pool(4096);
    EXPECT_EQ(pool.allocate(4097), nullptr);
    EXPECT_EQ(pool.used(), 0u);
    ASSERT_NE(pool.allocate(4000), nullptr);
    EXPECT_EQ(pool.allocate(200), nullptr);
    EXPECT_EQ(pool.used(), 4000u);
    // What is left (after alignment) still fits.
    std::size_t left = 4096 - (4000 + kAlign - 1) / kAlign * kAlign;
    EXPECT_NE(pool.allocate(left), nullptr);
    EXPECT_EQ(pool.allocate(1), nullptr);
}

TEST(MemoryPool, HugeRequestDoesNotWrapAround) {
    MemoryPool pool(4096);
    ASSERT_NE(pool.allocate(1), nullptr);
    EXPECT_EQ(pool.allocate(static_cast<std::size_t>(-1)), nullptr);
    EXPECT_EQ(pool.allocate(static_cast<std::size_t>(-1) - 8), nullptr);
    EXPECT_EQ(pool.used(), 1u);
}

TEST(MemoryPool, ResetWithoutKeepFreesEverything) {
    MemoryPool pool(4096);
    ASSERT_NE(pool.allocate(3000), nullptr);
    char* region = pool.reset(nullptr, 0, 2048);
    ASSERT_NE(region, nullptr);
    EXPECT_EQ(pool.used(), 2048u);
    EXPECT_EQ(pool.available(), 2048u);
    EXPECT_TRUE(aligned(region));
}

// The keep-alive case: the read buffer is the pool's first region, and the
// start of the next (pipelined) request sits at its front already.
TEST(MemoryPool, ResetKeepsBytesAlreadyAtTheFront) {
    MemoryPool pool(4096);
    char* buffer = pool.allocate(2048);
    ASSERT_NE(buffer, nullptr);
    std::memcpy(buffer, "GET /next", 9);
    ASSERT_NE(pool.allocate(500), nullptr);  // the response head
    char* again = pool.reset(buffer, 9, 2048);
    ASSERT_EQ(again, buffer);
    EXPECT_EQ(std::string(again, 9), "GET /next");
    EXPECT_EQ(pool.used(), 2048u);
}

// Kept bytes that live further in: they move to the front, and the source
// and destination overlap (a memcpy would be undefined behaviour here).
TEST(MemoryPool, ResetMovesOverlappingBytesToTheFront) {
    MemoryPool pool(4096);
    char* block = pool.allocate(4096);
    ASSERT_NE(block, nullptr);
    std::string pattern;
    for (int i = 0; i < 1000; ++i) pattern += static_cast<char>('a' + i % 26);
    std::memcpy(block + 100, pattern.data(), pattern.size());  // [100, 1100) overlaps [0, 1000)
    char* moved = pool.reset(block + 100, pattern.size(), 2048);
    ASSERT_EQ(moved, block);
    EXPECT_EQ(std::string(moved, pattern.size()), pattern);
    EXPECT_EQ(pool.used(), 2048u);
}

TEST(MemoryPool, ResetKeepingBytesFromOutsideThePool) {
    MemoryPool pool(4096);
    const std::string outside = "pipelined";
    char* region = pool.reset(outside.data(), outside.size(), 100);
    ASSERT_NE(region, nullptr);
    EXPECT_EQ(std::string(region, outside.size()), outside);
}

TEST(MemoryPool, AllocateAfterResetStartsPastTheNewRegion) {
    MemoryPool pool(4096);
    char* region = pool.reset(nullptr, 0, 100);
    char* next = pool.allocate(10);
    ASSERT_NE(next, nullptr);
    EXPECT_GE(next, region + 100);
    EXPECT_TRUE(aligned(next));
}

TEST(MemoryPool, ResetWithNewSizeTooLargeFails) {
    MemoryPool pool(4096);
    ASSERT_NE(pool.allocate(100), nullptr);
    EXPECT_EQ(pool.reset(nullptr, 0, 4097), nullptr);
    EXPECT_EQ(pool.used(), 100u);  // unchanged
    EXPECT_NE(pool.reset(nullptr, 0, 4096), nullptr);  // the whole pool is fine
    EXPECT_EQ(pool.available(), 0u);
}

TEST(MemoryPool, ResetKeepingMoreThanNewSizeFails) {
    MemoryPool pool(4096);
    char* buffer = pool.allocate(2048);
    ASSERT_NE(buffer, nullptr);
    EXPECT_EQ(pool.reset(buffer, 1000, 999), nullptr);
    EXPECT_EQ(pool.used(), 2048u);
}

}  // namespace
