// The extension table. Introduced in step01.
#include "mime_types.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace {

struct MimeEntry {
    std::string_view extension;
    std::string_view type;
};

constexpr MimeEntry kMimeTable[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"ico", "image/x-icon"},
    {"pdf", "application/pdf"},
    {"wasm", "application/wasm"},
    {"woff2", "font/woff2"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"mp4", "video/mp4"},
};

constexpr std::string_view kDefaultType = "application/octet-stream";

}  // namespace

std::string_view mime_type_for(std::string_view file_name) {
    auto slash = file_name.rfind('/');
    if (slash != std::string_view::npos) file_name.remove_prefix(slash + 1);
    auto dot = file_name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return kDefaultType;  // ".bashrc": no extension
    std::string extension(file_name.substr(dot + 1));
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const auto& entry : kMimeTable)
        if (entry.extension == extension) return entry.type;
    return kDefaultType;
}
