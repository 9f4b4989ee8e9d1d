// Start-up and stop of the worker pool. Introduced in step01, changed in step03.
#include "server.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <system_error>

#include "errors.hpp"
#include "trace.hpp"

std::string canonical_root(const std::string& root) {
    std::unique_ptr<char, decltype(&std::free)> real(::realpath(root.c_str(), nullptr), &std::free);
    if (!real) throw StartupError(errno_message("--root '" + root + "'"));
    struct stat st {};
    if (::stat(real.get(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw StartupError("--root '" + root + "' is not a directory");
    return real.get();
}

Server::Server(const ServerOptions& options, AccessHandler handler)
    : listener_(options.host, options.port), handler_(std::move(handler)) {
    control_.max_connections = static_cast<std::size_t>(options.max_connections);
    for (int id = 0; id < options.threads; ++id) {
        ConnectionSettings settings;
        settings.timeout = std::chrono::seconds(options.timeout_seconds);
        settings.pool_size = options.pool_size;
        settings.worker_id = id;
        workers_.push_back(
            std::make_unique<Worker>(listener_.fd(), settings, handler_, control_));
    }
    // Before the threads start, so that it is the first line of the trace.
    trace("start", std::to_string(workers_.size()) + " workers polling fd=" +
                       std::to_string(listener_.fd()));
    try {
        for (auto& worker : workers_) worker->start();
    } catch (const std::system_error& error) {  // no more threads: undo what started
        stop();
        throw StartupError(std::string("cannot start a worker thread: ") + error.what());
    }
}

std::string Server::url() const {
    return "http://" + listener_.host() + ":" + std::to_string(listener_.port());
}

void Server::stop() {
    control_.stop.store(true, std::memory_order_release);
    for (auto& worker : workers_) worker->join();  // each within its poll timeout
    workers_.clear();
}
