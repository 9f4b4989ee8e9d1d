// The worker loop: poll, accept, wake-ups, call handlers, clean up.
// Introduced in step03, changed in step04; the names follow libmicrohttpd's
// daemon.c.
#include "worker.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>

#include <cerrno>

#include "errors.hpp"
#include "trace.hpp"

namespace {

// How long a stopping worker lets in-flight requests finish.
constexpr std::chrono::seconds kStopGrace(5);
constexpr std::chrono::milliseconds kAcceptPauseOnEmfile(100);

// TCP_NODELAY: on a persistent connection, Nagle's algorithm would hold a
// response's last small segment until the client's delayed ACK (~40 ms).
// Whole responses are already written in as few sends as possible (MSG_MORE
// joins a head to its file), so nothing is gained by waiting.
void disable_nagle(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// Beyond --max-connections: one best-effort 503, then close. The socket
// is new and its buffer empty, so the short answer fits without waiting.
void refuse(int fd, const std::string& worker) {
    trace("refuse", worker + " fd=" + std::to_string(fd) + " at --max-connections");
    Response busy = error_response(503, "too many connections");
    busy.close = true;
    std::string bytes = serialize_head(busy) + busy.body;
    ssize_t ignored = ::send(fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)ignored;
}

std::string describe_peer(const sockaddr_in& addr) {
    char ip[INET_ADDRSTRLEN] = "?";
    ::inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof ip);
    return std::string(ip) + ":" + std::to_string(ntohs(addr.sin_port));
}

}  // namespace

Worker::Worker(int listen_fd, ConnectionSettings settings, const AccessHandler& handler,
               PoolControl& control)
    : listen_fd_(listen_fd),
      settings_(settings),
      handler_(handler),
      control_(control),
      resume_queue_([this] { waker_.activate('r'); }) {
    settings_.resume_queue = &resume_queue_;
}

// MHD_create_named_thread_: the name shows in top -H, gdb and
// /proc/PID/task/*/comm, so a reader can watch each worker.
void Worker::start() {
    thread_ = std::thread([this] { run(); });
    // Named here, by the starting thread: the name is set before the server
    // says it is listening.
    std::string thread_name = "worker-" + std::to_string(settings_.worker_id);
    ::pthread_setname_np(thread_.native_handle(), thread_name.c_str());
}

void Worker::join() {
    if (thread_.joinable()) thread_.join();
}

std::string Worker::name() const { return "w" + std::to_string(settings_.worker_id); }

void Worker::hand_over(UniqueFd socket, std::string peer) {
    {
        std::lock_guard lock(incoming_mutex_);
        incoming_.emplace_back(std::move(socket), std::move(peer));
    }
    waker_.activate('n');  // after the change: the worker cannot miss it
}

void Worker::run() {
    trace("worker", name() + " started");
    while (!finished(Clock::now())) {
        poll_all();
        cleanup_connections();
    }
    close_all_connections();
    trace("worker", name() + " stopped");
}

// A stopping worker is done when its last connection closed, or when the
// grace period for in-flight requests is over.
bool Worker::finished(Clock::time_point now) const {
    return stopping_ && (connections_.empty() || now >= drain_deadline_);
}

std::optional<Clock::time_point> Worker::earliest_deadline() const {
    std::optional<Clock::time_point> earliest;
    if (stopping_) earliest = drain_deadline_;
    for (const auto& connection : connections_) {
        if (connection->suspended()) continue;  // parked: no deadline
        if (!earliest || connection->deadline() < *earliest) earliest = connection->deadline();
    }
    return earliest;
}

void Worker::poll_all() {
    // pollfd[0] is the listening socket (MHD's poll_listen), pollfd[1] the
    // Waker; a negative fd makes poll() skip the listening socket while
    // accepting is paused or over.
    Clock::time_point now = Clock::now();
    const bool listen = accepting_ && now >= accept_paused_until_;
    poll_set_.clear();
    polled_.clear();
    poll_set_.push_back({listen ? listen_fd_ : -1, POLLIN, 0});
    poll_set_.push_back({waker_.poll_fd(), POLLIN, 0});
    for (auto& connection : connections_) {
        if (connection->suspended()) continue;  // parked until resumed
        poll_set_.push_back({connection->fd(), connection->poll_events(), 0});
        polled_.push_back(connection.get());
    }
    auto deadline = earliest_deadline();
    if (accepting_ && !listen && (!deadline || accept_paused_until_ < *deadline))
        deadline = accept_paused_until_;
    // No cap: with nothing due, poll() sleeps until a client or the Waker.
    int timeout = poll_timeout_ms(now, deadline, std::nullopt);

    int ready = ::poll(poll_set_.data(), poll_set_.size(), timeout);  // MHD_sys_poll_
    if (ready < 0 && errno != EINTR) log_error(errno_message("poll"));
    now = Clock::now();
    // Only when tracing: the line costs allocations, and this is every wake-up.
    if (trace_enabled())
        trace("poll", name() + " ready=" + std::to_string(std::max(ready, 0)) +
                          " connections=" + std::to_string(connections_.size()));

    if (ready > 0 && (poll_set_[1].revents & POLLIN)) handle_wakeup(now);
    if (ready > 0 && accepting_ && (poll_set_[0].revents & POLLIN)) accept_connection(now);
    for (std::size_t i = 0; ready > 0 && i < polled_.size(); ++i) {
        short revents = poll_set_[i + 2].revents;
        if (revents != 0 && !polled_[i]->closed()) call_handlers(*polled_[i], revents, now);
    }
    for (auto& connection : connections_) connection->handle_timeout(now);
}

// The Waker fired: clear it first, then look at everything it may stand
// for. The letters are only for the trace (MHD_itc_clear_ does not read
// them either): acting on the state, not the message, is what makes a
// lost or merged wake-up harmless.
void Worker::handle_wakeup(Clock::time_point now) {
    std::string reasons = waker_.clear();
    trace("itc", name() + " clear reasons=" + reasons);

    // Work handed over first, so that a stop arriving in the same wake-up
    // finds it: a response resumed just before stop is still sent.
    std::vector<std::pair<UniqueFd, std::string>> incoming;  // "n"
    {
        std::lock_guard lock(incoming_mutex_);
        incoming.swap(incoming_);
    }
    for (auto& [socket, peer] : incoming) {
        trace("add", name() + " handed over fd=" + std::to_string(socket.get()));
        add_connection(std::move(socket), std::move(peer), now);
        if (stopping_) connections_.front()->begin_shutdown(now);  // a stop came earlier
    }
    for (auto& handle : resume_queue_.take_all()) {  // "r"
        auto [connection, response] = handle->take();
        if (!connection) continue;  // it closed while parked
        connection->resume(std::move(response), now);
        connection->handle_idle(now);  // pipelined requests behind it
    }
    if (control_.stop.load() && !stopping_) {  // "e"
        stopping_ = true;
        accepting_ = false;
        drain_deadline_ = now + kStopGrace;
        trace("stop", name() + " finishing " + std::to_string(connections_.size()) +
                          " connections");
        for (auto& connection : connections_) connection->begin_shutdown(now);
    }
    if (control_.quiesce.load() && !quiesced_) {  // "q"
        // From now on this worker never touches the listening socket; the
        // Server hands it back once every worker has said so.
        quiesced_ = true;
        accepting_ = false;
        trace("quiesce", name() + " no longer accepting");
        std::lock_guard lock(control_.mutex);
        ++control_.quiesced_workers;
        control_.changed.notify_all();
    }
}

// The listening socket is readable: take the waiting clients. Several
// workers may race for the same one; the losers get EAGAIN, which is normal.
// One accept per wake-up, as MHD_accept_connection: a second accept4()
// would almost always fail with EAGAIN, a wasted system call per
// connection. A burst of clients keeps the socket readable, so the next
// poll() returns at once for the next one.
void Worker::accept_connection(Clock::time_point now) {
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    UniqueFd socket(::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len,
                              SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!socket) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            // Every worker woke for this client; another one took it
            // (the thundering herd, seen in --trace).
            trace("accept", name() + " EAGAIN: another worker was faster");
            return;
        }
        if (errno == EINTR || errno == ECONNABORTED) return;  // poll() tells again
        log_error(errno_message(name() + " accept"));
        if (errno == EMFILE || errno == ENFILE) {
            // Out of descriptors: the client stays queued and the socket
            // stays readable. Stop polling it for a moment, or every
            // worker would spin on it.
            accept_paused_until_ = now + kAcceptPauseOnEmfile;
        }
        return;
    }
    std::string who = describe_peer(peer);
    if (trace_enabled())
        trace("accept", name() + " fd=" + std::to_string(socket.get()) + " peer=" + who);
    if (control_.connections.load() >= control_.max_connections) {
        refuse(socket.get(), name());  // MHD_OPTION_CONNECTION_LIMIT
        return;
    }
    add_connection(std::move(socket), std::move(who), now);
}

// internal_add_connection: allocate the connection and its pool, link it
// into this worker's list, and report it started.
void Worker::add_connection(UniqueFd socket, std::string peer, Clock::time_point now) {
    control_.connections.fetch_add(1);
    disable_nagle(socket.get());
    connections_.push_front(
        std::make_unique<Connection>(std::move(socket), std::move(peer), settings_, handler_, now));
    if (trace_enabled())
        trace("add", name() + " fd=" + std::to_string(connections_.front()->fd()) + " started, " +
                         std::to_string(connections_.size()) + " connections");
}

// call_handlers: read when readable, write when writable, then process
// (idle): parse what was read and answer every complete request.
void Worker::call_handlers(Connection& connection, short revents, Clock::time_point now) {
    if (revents & POLLNVAL) return connection.close(Completion::kWithError);
    if (connection.suspended()) return;
    // POLLHUP/POLLERR: recv() or send() reports what happened.
    if (revents & (POLLIN | POLLHUP | POLLERR)) connection.handle_read(now);
    if (revents & (POLLOUT | POLLHUP | POLLERR)) connection.handle_write(now);
    connection.handle_idle(now);
}

// MHD_cleanup_connections: free what closed during this round.
void Worker::cleanup_connections() {
    std::size_t freed = connections_.remove_if(
        [](const std::unique_ptr<Connection>& connection) { return connection->closed(); });
    control_.connections.fetch_sub(freed);
    if (freed > 0)
        if (trace_enabled())
            trace("cleanup", name() + " freed=" + std::to_string(freed) +
                                 " connections=" + std::to_string(connections_.size()));
}

void Worker::close_all_connections() {
    for (auto& connection : connections_) connection->close(Completion::kDaemonShutdown);
    control_.connections.fetch_sub(connections_.size());
    connections_.clear();
}
