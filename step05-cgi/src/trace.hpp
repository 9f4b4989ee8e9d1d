// --trace: one line per event on stderr, in the chapter's vocabulary
// (accept, read, parse, handler, write, close). Introduced in step01.
// Any thread may call trace(); each line is written with a single write(2),
// so lines from different threads never interleave.
#pragma once

#include <string_view>

void enable_trace(bool on);
bool trace_enabled();

// Prints "[trace] EVENT DETAIL" when tracing is on.
void trace(std::string_view event, std::string_view detail = {});

// Log lines that are always printed (errors the operator should see).
void log_error(std::string_view message);
