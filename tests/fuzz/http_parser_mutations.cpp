// Seeded mutations of HTTP messages through HttpParser, as an ordinary test:
//   hearth_http_parser_mutations N
// Each seed message gets N mutants (flipped, inserted and deleted bytes, duplicated, swapped and
// cut lines, inserted CR, LF, NUL, SP, ':' and ',', changed digits), each parsed as a request and
// as a response, sometimes with small header and body limits: whole, then split at random
// points and with a small body buffer. Any bytes must end in a message or an error: put() never
// takes more than it is given and never stalls, a body keeps to its framing and limit, and a
// split parse ends as the whole one does (the same error, or the same head and body).
// Deterministic (fixed RNG seed), so a failure repeats.

#include <algorithm>
#include <boost/beast/http/error.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/core/http_parser.hpp"

namespace {

namespace http = boost::beast::http;
using error_code = boost::system::error_code;
using hearth::HttpParser;
using Kind = HttpParser::Kind;

constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();

// The seeds: well-formed requests and responses, each framing and field kind once at least.
const std::vector<std::string> kSeeds = {
    "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
    "\r\nGET /v1/models?limit=10 HTTP/1.1\r\nHost: h\r\nAccept: */*\r\nConnection: close\r\n\r\n",
    "POST /v1/chat/completions HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
    "Content-Length: 13\r\n\r\n{\"model\":\"m\"}",
    "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5\r\nhello\r\n6;name=value\r\n world\r\nA\r\n0123456789\r\n0\r\n\r\n",
    "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    "4;a=\"q s\"\r\nwiki\r\n0\r\nExpires: never\r\nX-Checksum: abc\r\n\r\n",
    "GET /index.html HTTP/1.0\r\nConnection: Keep-Alive , foo\r\nUser-Agent: x\r\n\r\n",
    "POST / HTTP/1.0\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc",
    "GET /a HTTP/1.1\r\nX-Pad:   spaced \t\r\nX-Empty:\r\nAccept: a\r\naccept: b\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    "f\r\ndata: {\"a\":1}\n\n\r\nE;ext\r\ndata: [DONE]\n\n\r\n0\r\nX-Usage: 3\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n\x1f\x8b\r\n0\r\n\r\n",
    "HTTP/1.1 204 No Content\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\n",
    "HTTP/1.1 304 Not Modified\r\nETag: \"abc\"\r\nContent-Length: 10\r\n\r\n",
    "HTTP/1.1 100 Continue\r\n\r\n",
    "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc",
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nruns to the close",
    "HTTP/1.1 503 \r\nRetry-After: 1\r\nTransfer-Encoding: gzip\r\n\r\n\x1f\x8b\x08",
    "HTTP/1.1 429\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
};

struct Limits {
  std::optional<std::size_t> header;
  std::optional<std::uint64_t> body;
};

struct Outcome {
  error_code ec;  // the parse error, or partial_message at the close
  bool done = false;
  std::string start_line;
  int status = 0;
  std::vector<std::string> fields;  // "name: value"
  std::string body;
  bool keep_alive = false;
  std::optional<std::uint64_t> content_length;
  std::size_t used = 0;
};

// Records what it is handed into an Outcome. Its body buffer holds `capacity` bytes: when a
// piece does not fit, on_body takes what does and asks for a new buffer with need_buffer;
// drain() empties it.
class Recorder final : public HttpParser {
 public:
  Recorder(Kind kind, std::size_t capacity, Outcome& out)
      : HttpParser(kind), capacity_(capacity), room_(capacity), out_(out) {}

  void drain() { room_ = capacity_; }

 private:
  void on_request(std::string_view method, std::string_view target, int version,
                  error_code&) override {
    out_.start_line =
        std::string(method) + " " + std::string(target) + " " + std::to_string(version);
  }
  void on_response(int status, std::string_view reason, int version, error_code&) override {
    out_.status = status;
    out_.start_line =
        std::to_string(version) + " " + std::to_string(status) + " " + std::string(reason);
  }
  void on_field(std::string_view name, std::string_view value, error_code&) override {
    out_.fields.push_back(std::string(name) + ": " + std::string(value));
  }
  std::size_t on_body(std::string_view piece, error_code& ec) override {
    const std::size_t n = std::min(piece.size(), room_);
    out_.body.append(piece.substr(0, n));
    room_ -= n;
    if (n < piece.size()) ec = http::error::need_buffer;
    return n;
  }

  const std::size_t capacity_;
  std::size_t room_;
  Outcome& out_;
};

std::string escaped(std::string_view bytes) {
  std::string out;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (b < 0x20 || b >= 0x7F) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", b);
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

std::string describe(const Outcome& o) {
  std::string out = o.ec ? "error " + o.ec.message() : (o.done ? "done" : "unfinished");
  out += " | " + escaped(o.start_line);
  for (const std::string& field : o.fields) out += " | " + escaped(field);
  out += " | body \"" + escaped(o.body) + "\" | used " + std::to_string(o.used);
  return out;
}

[[noreturn]] void fail(const char* what, Kind kind, std::string_view input,
                       const std::vector<std::size_t>& cuts, const std::string& detail) {
  std::fprintf(stderr, "FAILED: %s\n  as a %s: \"%s\"\n  cuts:", what,
               kind == Kind::Request ? "request" : "response", escaped(input).c_str());
  for (const std::size_t cut : cuts) std::fprintf(stderr, " %zu", cut);
  std::fprintf(stderr, "\n  %s\n", detail.c_str());
  std::exit(1);
}

// Parses `input` as the bytes arrive, up to each cut in turn, then the rest, then the close:
// what put() did not take is put again with the next bytes, and need_buffer drains the body
// buffer.
Outcome parse(Kind kind, std::string_view input, const std::vector<std::size_t>& cuts,
              std::size_t capacity, const Limits& limits) {
  Outcome out;
  Recorder parser(kind, capacity, out);
  if (limits.header) parser.header_limit(*limits.header);
  if (limits.body) parser.body_limit(*limits.body);
  std::size_t arrived = 0;  // input[0, arrived) has come
  std::size_t next_cut = 0;
  std::size_t stalls = 0;  // puts in a row that took nothing for want of a buffer
  const std::size_t max_puts = 4 * input.size() + cuts.size() + 16;
  for (std::size_t puts = 0; !parser.is_done(); ++puts) {
    if (puts > max_puts) fail("put() spins", kind, input, cuts, describe(out));
    // Nothing pending is put as a caller with no buffer would: a null pointer.
    const std::string_view pending =
        arrived == out.used ? std::string_view() : input.substr(out.used, arrived - out.used);
    error_code ec;
    const std::size_t n = parser.put(pending, ec);
    if (n > pending.size()) {
      fail("put() took more than it was given", kind, input, cuts,
           std::to_string(n) + " of " + std::to_string(pending.size()));
    }
    out.used += n;
    if (ec == http::error::need_buffer) {
      if (n == 0 && ++stalls > 1) fail("need_buffer after a drain", kind, input, cuts, "");
      parser.drain();
      continue;
    }
    stalls = 0;
    if (ec && ec != http::error::need_more) {
      out.ec = ec;
      break;
    }
    if (n > 0) continue;
    if (!ec) fail("put() took nothing and said nothing", kind, input, cuts, describe(out));
    if (arrived == input.size()) {
      parser.put_eof(ec);
      if (ec && ec != http::error::partial_message) {
        fail("put_eof() gave an odd error", kind, input, cuts, ec.message());
      }
      out.ec = ec;
      break;
    }
    while (next_cut < cuts.size() && cuts[next_cut] <= arrived) ++next_cut;
    arrived = next_cut < cuts.size() ? cuts[next_cut] : input.size();
  }
  out.done = parser.is_done();
  if (out.done && !parser.is_header_done()) fail("done without a head", kind, input, cuts, "");
  if (out.done == static_cast<bool>(out.ec)) {
    fail("neither done nor refused, or both", kind, input, cuts, describe(out));
  }
  if (parser.is_header_done()) out.keep_alive = parser.keep_alive();
  out.content_length = parser.content_length();
  if (limits.body && out.body.size() > *limits.body) {
    fail("a body past the body limit", kind, input, cuts, describe(out));
  }
  const bool bodiless_status = out.status / 100 == 1 || out.status == 204 || out.status == 304;
  if (out.done && out.content_length && !(kind == Kind::Response && bodiless_status) &&
      out.body.size() != *out.content_length) {
    fail("a body not of its Content-Length", kind, input, cuts, describe(out));
  }
  return out;
}

bool same(const Outcome& a, const Outcome& b) {
  if (a.ec != b.ec || a.start_line != b.start_line || a.fields != b.fields) return false;
  if (a.ec) return true;  // the body up to an error depends on where the bytes were cut
  return a.done == b.done && a.body == b.body && a.keep_alive == b.keep_alive &&
         a.content_length == b.content_length && a.used == b.used;
}

// Longer than a chunk's size line may be.
const std::string kLongLine(4100, 'x');

std::string mutate(const std::string& seed, std::mt19937_64& rng) {
  static const char kBytes[] = {'\r', '\n', '\0', ' ', '\t', ':', ',',    ';',    '=',   '"',
                                '0',  '9',  'a',  'F', 'x',  '-', '\x7f', '\x80', '\xff'};
  static const char* const kPieces[] = {"\r\n",
                                        "\r",
                                        "\n",
                                        "\r\n\r\n",
                                        ", ",
                                        ": ",
                                        "Content-Length: 5\r\n",
                                        "Transfer-Encoding: chunked\r\n",
                                        "Transfer-Encoding: gzip\r\n",
                                        "Connection: close\r\n",
                                        "Connection: keep-alive\r\n",
                                        "chunked",
                                        "HTTP/1.0",
                                        "0\r\n\r\n",
                                        "ffffffffffffffffff",
                                        "99999999999999999999",
                                        ";ext=v",
                                        kLongLine.c_str()};
  auto lines = [](const std::string& text) {
    std::vector<std::string> out;
    for (std::size_t at = 0; at < text.size();) {
      const std::size_t lf = text.find('\n', at);
      const std::size_t end = lf == std::string::npos ? text.size() : lf + 1;
      out.push_back(text.substr(at, end - at));
      at = end;
    }
    return out;
  };
  auto joined = [](const std::vector<std::string>& parts) {
    std::string out;
    for (const std::string& part : parts) out += part;
    return out;
  };
  std::string out = seed;
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !out.empty(); ++e) {
    const std::size_t at = rng() % out.size();
    switch (rng() % 9) {
      case 0:  // flip a byte
        out[at] = static_cast<char>(rng() % 256);
        break;
      case 1:  // insert a byte of the grammar's
        out.insert(out.begin() + static_cast<std::ptrdiff_t>(at),
                   kBytes[rng() % std::size(kBytes)]);
        break;
      case 2:  // delete a few bytes
        out.erase(at, 1 + rng() % 3);
        break;
      case 3: {  // duplicate a line
        auto parts = lines(out);
        const std::size_t i = rng() % parts.size();
        parts.insert(parts.begin() + static_cast<std::ptrdiff_t>(i), parts[i]);
        out = joined(parts);
        break;
      }
      case 4: {  // swap two lines
        auto parts = lines(out);
        std::swap(parts[rng() % parts.size()], parts[rng() % parts.size()]);
        out = joined(parts);
        break;
      }
      case 5: {  // cut a line
        auto parts = lines(out);
        parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(rng() % parts.size()));
        out = joined(parts);
        break;
      }
      case 6: {  // change a digit
        std::vector<std::size_t> digits;
        for (std::size_t i = 0; i < out.size(); ++i) {
          if (out[i] >= '0' && out[i] <= '9') digits.push_back(i);
        }
        if (!digits.empty())
          out[digits[rng() % digits.size()]] = static_cast<char>('0' + rng() % 10);
        break;
      }
      case 7:  // insert a piece of the grammar's
        out.insert(at, kPieces[rng() % std::size(kPieces)]);
        break;
      default:  // truncate
        out.resize(at);
        break;
    }
  }
  return out;
}

// Up to a few cut points inside `size` bytes, ascending; sometimes every byte of a short input.
std::vector<std::size_t> random_cuts(std::size_t size, std::mt19937_64& rng) {
  std::vector<std::size_t> cuts;
  if (size < 2) return cuts;
  if (rng() % 8 == 0 && size < 512) {
    for (std::size_t i = 1; i < size; ++i) cuts.push_back(i);
    return cuts;
  }
  const std::size_t n = 1 + rng() % 4;
  for (std::size_t i = 0; i < n; ++i) cuts.push_back(1 + rng() % (size - 1));
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  return cuts;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s N\n", argv[0]);
    return 2;
  }
  const long n = std::stol(argv[1]);
  std::mt19937_64 rng(20261122);
  std::size_t runs = 0;
  std::map<std::string, std::size_t> endings;  // "done" or the error, over the whole parses
  for (const std::string& seed : kSeeds) {
    for (long k = -1; k < n; ++k) {
      const std::string input = k < 0 ? seed : mutate(seed, rng);  // the seed itself first
      Limits limits;
      if (rng() % 4 == 0) limits.body = rng() % 24;
      // A header limit shorter than the head: whole and split must still end alike.
      if (rng() % 4 == 0) limits.header = 8 + rng() % 96;
      for (const Kind kind : {Kind::Request, Kind::Response}) {
        const Outcome whole = parse(kind, input, {}, kUnlimited, limits);
        ++endings[whole.ec ? whole.ec.message() : "done"];
        for (int split = 0; split < 3; ++split) {
          const std::vector<std::size_t> cuts = random_cuts(input.size(), rng);
          const std::size_t capacity = split == 0 ? kUnlimited : 1 + rng() % 8;
          const Outcome parts = parse(kind, input, cuts, capacity, limits);
          if (!same(whole, parts)) {
            fail("split and whole differ", kind, input, cuts,
                 "whole: " + describe(whole) + "\n  split: " + describe(parts) +
                     "\n  body buffer: " + std::to_string(capacity));
          }
        }
        ++runs;
      }
    }
  }
  std::printf("ran %zu mutated messages:", runs);
  for (const auto& [ending, count] : endings) std::printf(" %s %zu;", ending.c_str(), count);
  std::printf("\n");
  return 0;
}
