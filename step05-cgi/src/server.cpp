// Start-up, quiesce, hand-over and stop of the worker pool. Introduced in
// step01, changed in step03 and step04.
#include "server.hpp"

#include <fcntl.h>
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
    : listener_(options.host, options.port),
      port_(listener_.port()),
      host_(listener_.host()),
      handler_(std::move(handler)) {
    control_.max_connections = static_cast<std::size_t>(options.max_connections);
    for (int id = 0; id < options.threads; ++id) {
        ConnectionSettings settings;
        settings.timeout = std::chrono::seconds(options.timeout_seconds);
        settings.pool_size = options.pool_size;
        settings.worker_id = id;
        settings.cgi_timeout = std::chrono::seconds(options.cgi_timeout_seconds);
        settings.cgi_launch = options.cgi_launch;
        settings.server_address = host_;
        settings.server_port = port_;
        workers_.push_back(std::make_unique<Worker>(listener_.fd(), settings, handler_, control_));
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

std::string Server::url() const { return "http://" + host_ + ":" + std::to_string(port_); }

void Server::stop() {
    if (workers_.empty()) return;
    control_.stop.store(true);  // the state first, then the wake-up
    trace("itc", "activate e on " + std::to_string(workers_.size()) + " workers");
    for (auto& worker : workers_) worker->wake('e');
    for (auto& worker : workers_) worker->join();
    workers_.clear();
}

UniqueFd Server::quiesce() {
    if (control_.quiesce.exchange(true) || workers_.empty()) return UniqueFd();
    trace("itc", "activate q on " + std::to_string(workers_.size()) + " workers");
    for (auto& worker : workers_) worker->wake('q');
    std::unique_lock lock(control_.mutex);
    control_.changed.wait(lock, [this] {
        return control_.quiesced_workers == static_cast<int>(workers_.size());
    });
    return listener_.release();  // no worker polls or accepts on it any more
}

void Server::add_connection(UniqueFd socket, std::string peer) {
    if (workers_.empty()) return;  // stopped: the socket closes here
    // The workers' sockets are non-blocking; make this one so too.
    ::fcntl(socket.get(), F_SETFL, ::fcntl(socket.get(), F_GETFL) | O_NONBLOCK);
    Worker& worker = *workers_[next_worker_++ % workers_.size()];
    worker.hand_over(std::move(socket), std::move(peer));
}
