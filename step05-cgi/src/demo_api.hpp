// DemoApi: access handlers that answer later, to show suspend and resume
// (MHD_suspend_connection / MHD_resume_connection). Introduced in step04.
//
//   GET /api/delay?ms=N   parked, resumed N ms later by a timer thread
//                         (N from 0 to 10000; default 1000)
//   GET /api/wait         parked until someone calls /api/release (long-poll)
//   GET /api/release      resumes every waiting request; says how many
//
// A parked request costs its worker nothing: the worker keeps serving
// other clients while the request waits. The timer thread starts with the
// first /api/delay, so a server that never uses it has only its workers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "connection.hpp"

class DemoApi {
public:
    DemoApi() = default;
    ~DemoApi();  // stops and joins the timer thread, if it started
    DemoApi(const DemoApi&) = delete;
    DemoApi& operator=(const DemoApi&) = delete;

    // The response, or nullopt when the target is not under /api/.
    // Worker threads, concurrently.
    std::optional<Response> handle(const Request& request, RequestContext& context);

private:
    void run_timers();

    std::mutex mutex_;
    std::condition_variable changed_;
    std::multimap<std::chrono::steady_clock::time_point, std::pair<ResumeHandle, long>> timers_;
    std::vector<ResumeHandle> waiters_;  // guarded by mutex_, like timers_
    bool stopping_ = false;              // guarded by mutex_
    std::thread timer_thread_;           // started under mutex_, on first use
};
