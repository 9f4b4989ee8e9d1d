// Implementation of --trace and the error log. Introduced in step01.
#include "trace.hpp"

#include <unistd.h>

#include <atomic>
#include <string>

namespace {

std::atomic<bool> g_trace_on{false};

void write_line(std::string line) {
    line.push_back('\n');
    // One write per line; stderr is unbuffered, a short line is written whole.
    ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
}

}  // namespace

void enable_trace(bool on) { g_trace_on.store(on, std::memory_order_relaxed); }

bool trace_enabled() { return g_trace_on.load(std::memory_order_relaxed); }

void trace(std::string_view event, std::string_view detail) {
    if (!trace_enabled()) return;
    std::string line = "[trace] ";
    line += event;
    if (!detail.empty()) {
        line += ' ';
        line += detail;
    }
    write_line(std::move(line));
}

void log_error(std::string_view message) {
    std::string line = "httpd: ";
    line += message;
    write_line(std::move(line));
}
