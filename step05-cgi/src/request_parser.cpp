// The incremental request parser: lines first (request line, header fields),
// then the body by Content-Length or chunked framing. Introduced in step01.
// Section numbers refer to RFC 9112 (HTTP/1.1) and RFC 9110 (semantics).
#include "request_parser.hpp"

#include <algorithm>
#include <cctype>

namespace {

constexpr std::size_t kMaxChunkSizeLine = 1024;  // "hex-size;extensions"
constexpr std::size_t kMaxLeadingEmptyLines = 8;  // §2.2: ignore a few CRLFs
constexpr std::size_t kInitialBodyReserve = 64 * 1024;

// tchar from RFC 9110 §5.6.2: the characters allowed in a method or field name.
bool is_tchar(unsigned char c) {
    if (std::isalnum(c)) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
           std::string_view::npos;
}

bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return is_tchar(static_cast<unsigned char>(c));
    });
}

std::string_view trim_ows(std::string_view s) {  // OWS = *( SP / HTAB )
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool iequals(std::string_view a, std::string_view b) { return to_lower(a) == to_lower(b); }

// Calls `f` for each element of a comma-separated list (RFC 9110 §5.6.1).
template <typename F>
void for_each_list_item(std::string_view list, F f) {
    while (!list.empty()) {
        auto comma = list.find(',');
        auto item = trim_ows(list.substr(0, comma));
        if (!item.empty()) f(item);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
}

}  // namespace

void RequestParser::reset() {
    state_ = State::kRequestLine;
    status_ = Status::kNeedMore;
    request_ = Request{};
    line_.clear();
    header_bytes_ = 0;
    body_remaining_ = 0;
    empty_lines_ = 0;
    trailer_count_ = 0;
    started_ = false;
    error_status_ = 0;
    error_reason_.clear();
}

void RequestParser::fail(int status, std::string reason) {
    state_ = State::kError;
    status_ = Status::kError;
    error_status_ = status;
    error_reason_ = std::move(reason);
}

std::size_t RequestParser::feed(std::string_view data) {
    std::size_t used = 0;
    while (used < data.size() && status_ == Status::kNeedMore) {
        if (state_ == State::kBody || state_ == State::kChunkData)
            used += feed_body(data.substr(used));
        else
            used += feed_line(data.substr(used));
    }
    return used;
}

// The longest the current line may be, not counting its CRLF.
std::size_t RequestParser::line_limit() const {
    switch (state_) {
        case State::kRequestLine: return limits_.max_request_line;
        case State::kHeaderLine:
        case State::kTrailerLine: {
            std::size_t used = header_bytes_ + 2;  // what is counted, plus this line's CRLF
            return used >= limits_.max_header_bytes ? 0 : limits_.max_header_bytes - used;
        }
        default: return kMaxChunkSizeLine;
    }
}

void RequestParser::fail_line_too_long() {
    if (state_ == State::kRequestLine)
        fail(414, "request line longer than " + std::to_string(limits_.max_request_line) + " bytes");
    else if (state_ == State::kHeaderLine || state_ == State::kTrailerLine)
        fail(431, "header section larger than " + std::to_string(limits_.max_header_bytes) + " bytes");
    else
        fail(400, "chunk size line too long");
}

// Collects bytes up to the next LF, then hands the whole line to on_line().
std::size_t RequestParser::feed_line(std::string_view data) {
    auto lf = data.find('\n');
    std::size_t piece = lf == std::string_view::npos ? data.size() : lf;
    // A request has started once a byte other than the CR of a stray empty
    // line arrives, however the bytes happen to be split.
    if (state_ == State::kRequestLine && !started_ &&
        data.substr(0, piece).find_first_not_of('\r') != std::string_view::npos)
        started_ = true;
    const std::size_t limit = line_limit();
    if (line_.size() + piece > limit + 1) {  // + 1: room for the CR of a CRLF
        fail_line_too_long();
        return data.size();
    }
    line_.append(data.data(), piece);
    if (lf == std::string_view::npos) return data.size();

    // A line ends with CRLF; a bare LF is accepted too (RFC 9112 §2.2).
    std::string_view line = line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > limit)
        fail_line_too_long();
    else if (line.find('\r') != std::string_view::npos)
        fail(400, "bare CR inside a line");
    else
        on_line(line);
    line_.clear();
    return piece + 1;
}

void RequestParser::on_line(std::string_view line) {
    switch (state_) {
        case State::kRequestLine:
            if (line.empty()) {  // stray CRLF between requests (§2.2)
                if (++empty_lines_ > kMaxLeadingEmptyLines) fail(400, "too many empty lines");
                return;
            }
            parse_request_line(line);
            return;
        case State::kHeaderLine:
            header_bytes_ += line.size() + 2;
            if (header_bytes_ > limits_.max_header_bytes) return fail_line_too_long();
            if (line.empty())
                finish_headers();
            else
                parse_header_line(line);
            return;
        case State::kChunkSize:
            parse_chunk_size(line);
            return;
        case State::kChunkDataEnd:
            if (!line.empty()) return fail(400, "chunk data longer than its size");
            state_ = State::kChunkSize;
            return;
        case State::kTrailerLine:  // trailer fields are read and ignored (§7.1.2)
            header_bytes_ += line.size() + 2;
            if (header_bytes_ > limits_.max_header_bytes) return fail_line_too_long();
            if (line.empty()) {
                state_ = State::kDone;
                status_ = Status::kComplete;
            } else if (line.find(':') == std::string_view::npos) {
                fail(400, "trailer line without a colon");
            } else if (request_.headers.size() + ++trailer_count_ > limits_.max_header_count) {
                fail(431, "more than " + std::to_string(limits_.max_header_count) + " header lines");
            }
            return;
        default:
            return;
    }
}

// request-line = method SP request-target SP HTTP-version   (§3)
void RequestParser::parse_request_line(std::string_view line) {
    auto sp1 = line.find(' ');
    auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos)
        return fail(400, "request line is not 'METHOD TARGET VERSION'");
    auto method = line.substr(0, sp1);
    auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    auto version = line.substr(sp2 + 1);

    if (!is_token(method)) return fail(400, "malformed method");
    if (target.empty()) return fail(400, "empty request target");
    for (unsigned char c : target) {
        if (c <= 0x20 || c >= 0x7f)
            return fail(400, "request target has a space, control or non-ASCII byte");
    }
    // HTTP-version = "HTTP/" DIGIT "." DIGIT   (§2.3)
    if (version.size() != 8 || !version.starts_with("HTTP/") ||
        !std::isdigit(static_cast<unsigned char>(version[5])) || version[6] != '.' ||
        !std::isdigit(static_cast<unsigned char>(version[7])))
        return fail(400, "malformed HTTP version");
    if (version != "HTTP/1.1" && version != "HTTP/1.0")
        return fail(505, std::string(version) + " is not supported (HTTP/1.0 and HTTP/1.1 are)");

    request_.method = std::string(method);
    request_.target = std::string(target);
    request_.version_minor = version[7] - '0';
    state_ = State::kHeaderLine;
}

// field-line = field-name ":" OWS field-value OWS   (§5)
void RequestParser::parse_header_line(std::string_view line) {
    if (line.front() == ' ' || line.front() == '\t')
        return fail(400, "obsolete line folding is not accepted");
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return fail(400, "header line without a colon");
    auto name = line.substr(0, colon);
    if (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
        return fail(400, "whitespace between header name and colon");  // §5.1
    if (!is_token(name)) return fail(400, "malformed header name");
    auto value = trim_ows(line.substr(colon + 1));
    for (unsigned char c : value) {
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return fail(400, "control character in a header value");
    }
    if (request_.headers.size() >= limits_.max_header_count)
        return fail(431, "more than " + std::to_string(limits_.max_header_count) + " header lines");
    request_.headers.push_back(HeaderField{to_lower(name), std::string(value)});
}

// The header section is complete: check it and decide how the body is framed
// (§6.3: Transfer-Encoding, else Content-Length, else no body).
void RequestParser::finish_headers() {
    std::size_t hosts = 0;
    bool has_length = false, has_coding = false, conn_close = false, conn_keep = false;
    std::string length_value, codings;
    for (const auto& field : request_.headers) {
        if (field.name == "host") {
            ++hosts;
        } else if (field.name == "content-length") {
            if (has_length && field.value != length_value)
                return fail(400, "conflicting Content-Length headers");
            has_length = true;
            length_value = field.value;
        } else if (field.name == "transfer-encoding") {
            has_coding = true;
            codings += codings.empty() ? field.value : "," + field.value;
        } else if (field.name == "connection") {
            for_each_list_item(field.value, [&](std::string_view option) {
                if (iequals(option, "close")) conn_close = true;
                if (iequals(option, "keep-alive")) conn_keep = true;
            });
        }
    }
    if (request_.version_minor == 1 && hosts == 0)
        return fail(400, "HTTP/1.1 request without a Host header");  // RFC 9112 §3.2
    if (hosts > 1) return fail(400, "more than one Host header");
    request_.keep_alive = request_.version_minor == 1 ? !conn_close : (conn_keep && !conn_close);

    if (has_coding) {
        // Both framings at once is how request smuggling works (§6.1, §11.2).
        if (has_length) return fail(400, "both Content-Length and Transfer-Encoding");
        if (request_.version_minor == 0) return fail(400, "Transfer-Encoding in HTTP/1.0");
        if (!iequals(trim_ows(codings), "chunked"))
            return fail(501, "transfer coding '" + codings + "' is not implemented");
        state_ = State::kChunkSize;
        return;
    }
    if (has_length) {
        // Content-Length = 1*DIGIT (§6.2): no sign, no spaces, no list.
        if (length_value.empty() || !std::all_of(length_value.begin(), length_value.end(),
                                                 [](char c) { return c >= '0' && c <= '9'; }))
            return fail(400, "malformed Content-Length");
        if (length_value.size() > 18)  // would overflow; certainly too large
            return fail(413, "body larger than " + std::to_string(limits_.max_body) + " bytes");
        std::size_t length = std::stoull(length_value);
        if (length > limits_.max_body)
            return fail(413, "body larger than " + std::to_string(limits_.max_body) + " bytes");
        if (length > 0) {
            body_remaining_ = length;
            // Reserve a little, not the announced length: a client may
            // announce megabytes and never send them (the body grows as
            // bytes really arrive).
            request_.body.reserve(std::min<std::size_t>(length, kInitialBodyReserve));
            state_ = State::kBody;
            return;
        }
    }
    state_ = State::kDone;
    status_ = Status::kComplete;
}

// chunk-size [ chunk-ext ] CRLF   (§7.1)
void RequestParser::parse_chunk_size(std::string_view line) {
    auto hex = trim_ows(line.substr(0, line.find(';')));
    if (hex.empty() || hex.size() > 15 || !std::all_of(hex.begin(), hex.end(), [](char c) {
            return std::isxdigit(static_cast<unsigned char>(c)) != 0;
        }))
        return fail(400, "malformed chunk size");
    std::size_t size = std::stoull(std::string(hex), nullptr, 16);
    if (request_.body.size() + size > limits_.max_body)
        return fail(413, "body larger than " + std::to_string(limits_.max_body) + " bytes");
    if (size == 0) {
        state_ = State::kTrailerLine;
        return;
    }
    body_remaining_ = size;
    state_ = State::kChunkData;
}

std::size_t RequestParser::feed_body(std::string_view data) {
    std::size_t take = std::min(data.size(), body_remaining_);
    request_.body.append(data.data(), take);
    body_remaining_ -= take;
    if (body_remaining_ == 0) {
        if (state_ == State::kBody) {
            state_ = State::kDone;
            status_ = Status::kComplete;
        } else {
            state_ = State::kChunkDataEnd;
        }
    }
    return take;
}
