// Content-Type from a file name's extension. Introduced in step01.
#pragma once

#include <string_view>

// E.g. "index.html" -> "text/html; charset=utf-8"; unknown ->
// "application/octet-stream" (RFC 9110 §8.3: a server that does not know
// the type should not guess). Case-insensitive; any thread may call it.
std::string_view mime_type_for(std::string_view file_name);
