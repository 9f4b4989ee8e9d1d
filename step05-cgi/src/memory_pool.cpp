// A bump allocator over one block. Introduced in step03.
#include "memory_pool.hpp"

#include <cstring>

namespace {

constexpr std::size_t kAlignment = alignof(std::max_align_t);

std::size_t round_up(std::size_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

}  // namespace

// new char[] without "()" leaves the bytes uninitialised: the kernel maps
// the pages only when they are first written, so an idle connection's
// untouched pool costs no resident memory.
MemoryPool::MemoryPool(std::size_t size) : block_(new char[size]), size_(size) {}

char* MemoryPool::allocate(std::size_t bytes) {
    std::size_t start = round_up(used_);
    if (start > size_ || bytes > size_ - start) return nullptr;
    used_ = start + bytes;
    return block_.get() + start;
}

char* MemoryPool::reset(const char* keep, std::size_t keep_bytes, std::size_t new_size) {
    if (keep_bytes > new_size || new_size > size_) return nullptr;
    // memmove: the kept bytes usually sit inside this very block.
    if (keep_bytes > 0 && keep != block_.get()) std::memmove(block_.get(), keep, keep_bytes);
    used_ = new_size;
    return block_.get();
}
