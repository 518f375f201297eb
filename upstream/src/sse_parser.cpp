#include "hearth/upstream/sse_parser.hpp"

#include <algorithm>

#include "hearth/core/find_either.hpp"

namespace hearth::upstream {

namespace {
constexpr std::string_view kBom = "\xEF\xBB\xBF";
}

Status SseParser::feed(std::string_view bytes, SseEvents& events) {
  kept_.clear();  // what the last feed's events viewed
  if (!started_ && line_.empty() && bytes.size() >= kBom.size()) {
    // The first bytes tell at once whether a BOM opens the stream.
    started_ = true;
    if (bytes.starts_with(kBom)) bytes.remove_prefix(kBom.size());
  }
  if (!started_) {
    // A UTF-8 BOM may open the stream; wait until we can tell.
    line_.append(bytes);
    if (line_.size() < kBom.size() && kBom.substr(0, line_.size()) == line_) return {};
    started_ = true;
    const std::string& pending = kept_.emplace_back(std::move(line_));
    line_.clear();
    std::string_view rest = pending;
    if (rest.substr(0, kBom.size()) == kBom) rest.remove_prefix(kBom.size());
    return feed_started(rest, events);
  }
  return feed_started(bytes, events);
}

Status SseParser::feed_started(std::string_view bytes, SseEvents& events) {
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    if (after_cr_) {
      after_cr_ = false;
      if (bytes[pos] == '\n') {
        ++pos;
        continue;
      }
    }
    if (line_.empty() && !has_data_ && event_type_.empty()) {
      if (const std::size_t taken = take_data_event(bytes.substr(pos), events)) {
        pos += taken;
        continue;
      }
    }
    std::size_t end = find_either(bytes, '\n', '\r', pos);
    if (end == std::string_view::npos) {
      line_.append(bytes.substr(pos));
      break;
    }
    std::string_view piece = bytes.substr(pos, end - pos);
    if (line_.empty()) {
      process_line(piece, events);
    } else {
      line_.append(piece);
      process_line(line_, events);
      line_.clear();
    }
    after_cr_ = bytes[end] == '\r';
    pos = end + 1;
    if (data_.size() > max_event_bytes_) break;
  }
  if (line_.size() + data_.size() > max_event_bytes_) {
    return make_error(ErrorCode::UpstreamError,
                      "upstream event stream: an event exceeds " +
                          std::to_string(max_event_bytes_) + " bytes");
  }
  return {};
}

std::size_t SseParser::take_data_event(std::string_view rest, SseEvents& events) {
  constexpr std::string_view kField = "data:";
  if (!rest.starts_with(kField)) return 0;
  const std::size_t end = find_either(rest, '\n', '\r', kField.size());
  if (end == std::string_view::npos || rest[end] != '\n' || end + 1 == rest.size() ||
      rest[end + 1] != '\n') {
    return 0;
  }
  std::string_view value = rest.substr(kField.size(), end - kField.size());
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (value.size() > max_event_bytes_) return 0;  // the line by line path says why
  SseEvent& event = events.emplace_back();
  event.data = value;
  if (!last_id_.empty()) event.id = last_id_;
  return end + 2;
}

void SseParser::process_line(std::string_view line, SseEvents& events) {
  if (line.empty()) {
    // Dispatch.
    if (has_data_) {
      SseEvent& event = events.emplace_back();  // built in place; `event` is "message" already
      if (!event_type_.empty()) event.event = event_type_;
      event.data = kept_.emplace_back(std::move(data_));
      if (!last_id_.empty()) event.id = last_id_;
    }
    data_.clear();
    has_data_ = false;
    event_type_.clear();
    return;
  }
  if (line.front() == ':') return;  // comment (keep-alive pings look like this)

  std::string_view field = line;
  std::string_view value;
  if (auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }

  if (field == "event") {
    event_type_ = value;
  } else if (field == "data") {
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_ = value;
  } else if (field == "retry") {
    if (!value.empty() && value.size() < 16 &&
        std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      retry_ = Duration(std::stoll(std::string(value)));
    }
  }
  // Any other field is ignored.
}

}  // namespace hearth::upstream
