// eventfd and pipe backends of the Waker. Introduced in step04.
#include "waker.hpp"

#include <fcntl.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include <cerrno>
#include <cstdint>

#include "errors.hpp"

namespace {

constexpr char kReasonLetters[] = "eqrnw";  // MHD's ITC messages, plus "w" spare

int reason_bit(char reason) {
    for (int i = 0; kReasonLetters[i] != '\0'; ++i)
        if (kReasonLetters[i] == reason) return i;
    return -1;
}

}  // namespace

void WakeReasons::add(char reason) {
    int bit = reason_bit(reason);
    if (bit >= 0) bits_.fetch_or(1u << bit, std::memory_order_relaxed);
}

std::string WakeReasons::take() {
    unsigned bits = bits_.exchange(0, std::memory_order_relaxed);
    std::string letters;
    for (int i = 0; kReasonLetters[i] != '\0'; ++i)
        if (bits & (1u << i)) letters.push_back(kReasonLetters[i]);
    return letters;
}

#ifdef __linux__
EventfdWaker::EventfdWaker() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (!fd_) throw StartupError(errno_message("eventfd"));
}

void EventfdWaker::activate(char reason) {
    reasons_.add(reason);
    const std::uint64_t one = 1;
    // EAGAIN means the counter is full, so the fd is readable already.
    ssize_t ignored = ::write(fd_.get(), &one, sizeof one);
    (void)ignored;
}

std::string EventfdWaker::clear() {
    std::uint64_t count;
    // One read resets the counter to zero, however many activations it holds.
    ssize_t ignored = ::read(fd_.get(), &count, sizeof count);
    (void)ignored;
    return reasons_.take();
}
#endif

PipeWaker::PipeWaker() {
    int ends[2];
    if (::pipe2(ends, O_NONBLOCK | O_CLOEXEC) != 0) throw StartupError(errno_message("pipe2"));
    read_end_.reset(ends[0]);
    write_end_.reset(ends[1]);
}

void PipeWaker::activate(char reason) {
    reasons_.add(reason);
    // EAGAIN means the pipe is full, so the read end is readable already.
    ssize_t ignored = ::write(write_end_.get(), &reason, 1);
    (void)ignored;
}

std::string PipeWaker::clear() {
    char sink[256];
    while (::read(read_end_.get(), sink, sizeof sink) > 0) {
    }  // until EAGAIN: the pipe is empty
    return reasons_.take();
}
