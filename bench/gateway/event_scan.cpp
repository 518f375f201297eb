// The event-scan harness: checks the objects of STREAMS streams with one EventScanner, as the
// OpenAI-dialect upstream of one thread does. Count its instructions with callgrind and
// subtract a run of 0 streams (bench/README.md gives the commands).
// Usage: hearth_bench_event_scan mock|openai STREAMS

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "hearth/core/wire_object.hpp"
#include "stream_events.hpp"

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "";
  if (argc != 3 || (which != "mock" && which != "openai")) {
    std::fprintf(stderr, "usage: %s mock|openai STREAMS\n", argv[0]);
    return 2;
  }
  // Streams that differ in their id and time of creation, as the mock's and OpenAI's do.
  std::vector<std::vector<std::string>> streams;
  for (int variant = 0; variant < 16; ++variant) {
    streams.push_back(which == "mock" ? hearth::bench::mock_stream_events(variant)
                                      : hearth::bench::openai_shaped_stream_events(variant));
  }
  const long count = std::strtol(argv[2], nullptr, 10);
  hearth::EventScanner scanner;  // one for every stream, as each upstream of a thread has
  for (long n = 0; n < count; ++n) {
    for (const std::string& event : streams[static_cast<std::size_t>(n) % streams.size()]) {
      if (!scanner.scan(event)) {
        std::fprintf(stderr, "an event was refused: %s\n", event.c_str());
        return 1;
      }
    }
  }
  std::printf("%ld streams of %zu events checked\n", count, streams.front().size());
  return 0;
}
