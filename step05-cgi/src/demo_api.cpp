// /api/delay, /api/wait and /api/release. Introduced in step04.
#include "demo_api.hpp"

#include <charconv>
#include <string>

namespace {

constexpr long kMaxDelayMs = 10000;

Response text(int status, std::string body) {
    Response response;
    response.status = status;
    response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    response.headers.emplace_back("Cache-Control", "no-store");
    response.body = std::move(body);
    return response;
}

// The value of `name` in a query string "a=1&ms=250", if it is a number.
std::optional<long> query_number(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        auto amp = query.find('&');
        auto pair = query.substr(0, amp);
        if (pair.starts_with(name) && pair.size() > name.size() && pair[name.size()] == '=') {
            auto digits = pair.substr(name.size() + 1);
            long value = 0;
            auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
            if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
            return value;
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

}  // namespace

DemoApi::~DemoApi() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    if (timer_thread_.joinable()) timer_thread_.join();
}

std::optional<Response> DemoApi::handle(const Request& request, RequestContext& context) {
    std::string_view target = request.target;
    auto question = target.find('?');
    std::string_view path = target.substr(0, question);
    std::string_view query = question == std::string_view::npos ? "" : target.substr(question + 1);
    if (!path.starts_with("/api/")) return std::nullopt;
    if (request.method != "GET" && request.method != "HEAD")
        return error_response(501, "method " + request.method + " is not implemented here");

    if (path == "/api/delay") {
        long ms = 1000;
        if (!query.empty()) {
            auto value = query_number(query, "ms");
            if (!value || *value < 0 || *value > kMaxDelayMs)
                return error_response(400, "ms must be a number from 0 to 10000");
            ms = *value;
        }
        ResumeHandle handle = context.suspend();  // the worker moves on
        {
            std::lock_guard lock(mutex_);
            timers_.emplace(std::chrono::steady_clock::now() + std::chrono::milliseconds(ms),
                            std::make_pair(std::move(handle), ms));
            if (!timer_thread_.joinable()) timer_thread_ = std::thread([this] { run_timers(); });
        }
        changed_.notify_all();
        return Response{};  // ignored: the connection is suspended
    }
    if (path == "/api/wait") {
        ResumeHandle handle = context.suspend();
        std::lock_guard lock(mutex_);
        waiters_.push_back(std::move(handle));
        return Response{};
    }
    if (path == "/api/release") {
        std::vector<ResumeHandle> waiters;
        {
            std::lock_guard lock(mutex_);
            waiters.swap(waiters_);
        }
        std::size_t released = 0;
        for (auto& waiter : waiters)
            if (waiter->resume(text(200, "released\n"))) ++released;
        return text(200, "released " + std::to_string(released) + "\n");
    }
    return error_response(404, "no such API endpoint");
}

// One thread sleeps until the earliest timer is due, then resumes it.
void DemoApi::run_timers() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (timers_.empty()) {
            changed_.wait(lock);
            continue;
        }
        auto due = timers_.begin()->first;
        if (std::chrono::steady_clock::now() < due) {
            changed_.wait_until(lock, due);
            continue;
        }
        auto [handle, ms] = std::move(timers_.begin()->second);
        timers_.erase(timers_.begin());
        lock.unlock();  // resume() takes the worker's locks: never hold ours
        handle->resume(text(200, "waited " + std::to_string(ms) + " ms\n"));
        lock.lock();
    }
}
