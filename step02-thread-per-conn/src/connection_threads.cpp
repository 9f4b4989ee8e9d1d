// One thread per connection, every one of them joined. Introduced in step02.
#include "connection_threads.hpp"

#include <pthread.h>
#include <sys/socket.h>

#include <chrono>

namespace {

constexpr std::chrono::seconds kStopGrace(2);  // for responses in flight at stop

}  // namespace

void ConnectionThreads::start(UniqueFd& client, Serve serve) {
    std::lock_guard lock(mutex_);
    const std::uint64_t id = next_id_++;
    const int fd = client.get();
    // The entry exists before the thread, so finish() always finds it, and
    // nothing can fail between starting the thread and recording it.
    auto entry = running_.emplace(id, Running{std::thread(), fd}).first;
    try {
        // Only numbers are captured: nothing the thread reads belongs to
        // the accept loop, which goes on and reuses its variables.
        entry->second.thread = std::thread([this, id, fd, serve = std::move(serve)] {
            UniqueFd owned(fd);
            serve(fd);
            finish(id, owned);
        });
        ::pthread_setname_np(entry->second.thread.native_handle(), "conn");  // top -H, /proc
    } catch (...) {
        running_.erase(entry);
        throw;  // `client` still owns the descriptor
    }
    client.release();  // the thread exists: it owns the descriptor now
}

void ConnectionThreads::finish(std::uint64_t id, UniqueFd& client) {
    std::lock_guard lock(mutex_);
    // Close under the lock: stop_all() never calls shutdown() on a number
    // that was closed and perhaps reused by another open().
    client.reset();
    auto it = running_.find(id);
    finished_.push_back(std::move(it->second.thread));
    running_.erase(it);
    if (running_.empty()) all_done_.notify_all();
}

void ConnectionThreads::join_finished() {
    std::vector<std::thread> done;
    {
        std::lock_guard lock(mutex_);
        done.swap(finished_);
    }
    for (auto& thread : done) thread.join();  // already exited: returns at once
}

void ConnectionThreads::stop_all() {
    {
        std::unique_lock lock(mutex_);
        // Idle connections wake up (recv returns 0) and end; responses
        // being written go on for a grace period...
        for (auto& [id, running] : running_) ::shutdown(running.fd, SHUT_RD);
        if (!all_done_.wait_for(lock, kStopGrace, [this] { return running_.empty(); })) {
            // ...after which a send() still blocked on a client that does not
            // read fails at once (EPIPE) instead of waiting for SO_SNDTIMEO.
            for (auto& [id, running] : running_) ::shutdown(running.fd, SHUT_RDWR);
            all_done_.wait(lock, [this] { return running_.empty(); });
        }
    }
    join_finished();
}

std::size_t ConnectionThreads::active() const {
    std::lock_guard lock(mutex_);
    return running_.size();
}
