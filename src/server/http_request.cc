#include "keel/server/http_request.h"

#include <algorithm>
#include <cctype>

namespace keel::server {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

}  // namespace

HttpRequestParser::State HttpRequestParser::Feed(std::string_view data) {
  if (state_ != State::kNeedMore) return state_;
  size_t scan_from = buffer_.size() >= 3 ? buffer_.size() - 3 : 0;
  buffer_.append(data);
  size_t end = buffer_.find("\r\n\r\n", scan_from);
  size_t sep = 4;
  if (end == std::string::npos) {
    // Tolerate bare LF line ends.
    end = buffer_.find("\n\n", scan_from >= 1 ? scan_from - 1 : 0);
    sep = 2;
  }
  if (end == std::string::npos) {
    if (buffer_.size() > max_) state_ = State::kTooLarge;
    return state_;
  }
  if (end + sep > max_ + 2) return state_ = State::kTooLarge;
  leftover_ = buffer_.substr(end + sep);
  state_ = Parse(std::string_view(buffer_).substr(0, end));
  return state_;
}

HttpRequestParser::State HttpRequestParser::Parse(std::string_view head) {
  size_t line_end = head.find('\n');
  std::string_view line = Trim(head.substr(0, line_end));
  std::string_view rest = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 1);

  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) return State::kBadRequest;
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method) || target.empty() || target.front() != '/' ||
      (version != "HTTP/1.1" && version != "HTTP/1.0")) {
    return State::kBadRequest;
  }
  request_.method = std::string(method);
  request_.version = std::string(version);
  size_t q = target.find('?');
  request_.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) request_.query = std::string(target.substr(q + 1));

  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view h = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (!h.empty() && h.back() == '\r') h.remove_suffix(1);
    if (h.empty()) continue;
    size_t colon = h.find(':');
    if (colon == std::string_view::npos || !IsToken(h.substr(0, colon))) return State::kBadRequest;
    request_.headers[Lower(h.substr(0, colon))] = std::string(Trim(h.substr(colon + 1)));
  }
  auto header = [&](const char* name) -> std::string {
    auto it = request_.headers.find(name);
    return it == request_.headers.end() ? std::string() : Lower(it->second);
  };
  std::string length = header("content-length");
  if ((!length.empty() && length != "0") || request_.headers.count("transfer-encoding"))
    return State::kBadRequest;
  std::string connection = header("connection");
  request_.keep_alive = version == "HTTP/1.1" ? connection != "close" : connection == "keep-alive";
  if (method != "GET" && method != "HEAD") return State::kMethodNotAllowed;
  return State::kComplete;
}

std::string_view HttpReason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
  }
  return "Unknown";
}

}  // namespace keel::server
