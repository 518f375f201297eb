#pragma once
// SseParser: incremental text/event-stream parsing per the WHATWG HTML spec (event, data,
// id, retry fields; `:` comments; CRLF, LF or CR line ends; bytes split anywhere). Pure: no
// I/O. One parser per stream; not thread-safe.

#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <string_view>

#include <boost/container/small_vector.hpp>

#include "hearth/core/clock.hpp"
#include "hearth/core/result.hpp"

namespace hearth::upstream {

struct SseEvent {
  std::string event = "message";  // the `event:` field, "message" when absent
  std::string_view data;           // `data:` lines joined by \n (see SseParser::feed)
  std::string id;                  // the last event id seen so far in the stream

  friend bool operator==(const SseEvent&, const SseEvent&) = default;
};

// The events of one feed. A read brings a few (a whole short stream at most, often): kept in
// place, they cost no allocation per stream.
using SseEvents = boost::container::small_vector<SseEvent, 16>;

class SseParser {
 public:
  static constexpr std::size_t kDefaultMaxEventBytes = std::size_t{8} << 20;

  explicit SseParser(std::size_t max_event_bytes = kDefaultMaxEventBytes)
      : max_event_bytes_(max_event_bytes) {}

  // Parses `bytes` and appends each event completed by them to `events`. An event's data
  // views `bytes` where it lies whole in them (as a stream's events mostly do), else the
  // parser's own copy: either way it is valid until the next feed, and `bytes` must live as
  // long. An error (one event or line larger than the cap) leaves the parser unusable.
  Status feed(std::string_view bytes, SseEvents& events);

  // The last `retry:` value, if any.
  std::optional<Duration> retry() const { return retry_; }

 private:
  // At a line start with nothing pending: an event of one data line ("data: X\n\n", as
  // OpenAI-dialect servers send each one) goes to `events` viewing `rest`, not line by line
  // through `data_`. Returns the bytes it took; 0 leaves `rest` to the line by line path.
  std::size_t take_data_event(std::string_view rest, SseEvents& events);
  Status feed_started(std::string_view bytes, SseEvents& events);
  void process_line(std::string_view line, SseEvents& events);

  std::size_t max_event_bytes_;
  std::string line_;
  bool after_cr_ = false;  // the previous byte was CR: a following LF belongs to it
  bool started_ = false;   // past a possible leading BOM
  std::string event_type_;
  std::string data_;
  bool has_data_ = false;
  // The data of this feed's events that did not lie whole in its bytes, and bytes held back
  // while a BOM could not yet be told: what those events view. A list: its strings stay where
  // they are as more come, and empty (as it mostly is) it holds no allocation.
  std::list<std::string> kept_;
  std::string last_id_;
  std::optional<Duration> retry_;
};

}  // namespace hearth::upstream
