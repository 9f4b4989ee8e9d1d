// MemoryPool: the fixed block of memory each connection gets when it is
// accepted (libmicrohttpd: MHD_pool_create). Introduced in step03.
//
// The read buffer and the response head are carved out of it; nothing
// grows it. Between two requests on a keep-alive connection the pool is
// reset at once (MHD_pool_reset), keeping only the bytes of a pipelined
// next request, moved to the front:
//
//   block: [ read buffer ........ | response head | free ............ ]
//          ^ front                                        size() ^
//   reset(keep): [ kept bytes | new read buffer ...  | free ......... ]
//
// So an idle connection costs at most its pool plus a small fixed
// overhead, and a request whose head does not fit is refused (431).
// One pool belongs to one connection, used by its worker thread only.
#pragma once

#include <cstddef>
#include <memory>

class MemoryPool {
public:
    explicit MemoryPool(std::size_t size);  // one allocation, for the pool's life

    // `bytes` from the front, aligned for any type; nullptr when they do not fit.
    char* allocate(std::size_t bytes);

    // Frees everything at once, then allocates `new_size` bytes whose first
    // `keep_bytes` are a copy of `keep` (which may point into this pool).
    // Returns the new region, or nullptr if new_size does not fit.
    char* reset(const char* keep, std::size_t keep_bytes, std::size_t new_size);

    std::size_t size() const { return size_; }
    std::size_t used() const { return used_; }
    std::size_t available() const { return size_ - used_; }

private:
    std::unique_ptr<char[]> block_;
    std::size_t size_;
    std::size_t used_ = 0;
};
