// Turning errno into a readable message. Introduced in step01.
#pragma once

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

// A configuration or start-up failure: main() prints what() and exits 1.
class StartupError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// "what: strerror(errno)", e.g. "bind 127.0.0.1:80: Permission denied".
inline std::string errno_message(const std::string& what, int err = errno) {
    return what + ": " + std::strerror(err);
}
