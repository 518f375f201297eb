#include "hearth/core/http_parser.hpp"

#include <algorithm>
#include <array>
#include <boost/beast/http/error.hpp>
#include <cstring>

#include "hearth/core/ascii.hpp"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace hearth {
namespace {

using error = boost::beast::http::error;
constexpr error kOk{};  // no error: Beast's codes start at 1

// A chunk's size line (size and extensions, without its CRLF) may be at most this long.
constexpr std::size_t kChunkLineLimit = 4096;

// Byte classes of RFC 9110's grammar, for what is checked a byte at a time.
struct ByteClasses {
  std::array<bool, 256> token{};       // tchar: a method, a field name, a coding
  std::array<bool, 256> field_text{};  // field-vchar, SP and HTAB: a field value, a reason
  std::array<bool, 256> visible{};     // visible ASCII: a request target
};

constexpr ByteClasses make_byte_classes() {
  ByteClasses c;
  for (int b = 0x21; b < 0x7F; ++b) {
    c.field_text[b] = c.visible[b] = true;
    c.token[b] = (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
  }
  for (char b : std::string_view("!#$%&'*+-.^_`|~")) c.token[static_cast<unsigned char>(b)] = true;
  for (int b = 0x80; b < 0x100; ++b) c.field_text[b] = true;  // obs-text
  c.field_text[' '] = c.field_text['\t'] = true;
  return c;
}
constexpr ByteClasses kClasses = make_byte_classes();

bool all_of(const std::array<bool, 256>& table, std::string_view text) {
  for (char c : text) {
    if (!table[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

// The checks below look at sixteen bytes a step where SSE2 is there. A text's last bytes are
// looked at in a load that ends where the text ends and may begin before it (never before the
// start of `all`, the bytes given to put), its lanes before the text ignored.
#ifdef __SSE2__
// Lanes that are not field text: controls but HTAB, and DEL (obs-text is let pass).
int non_field_text(__m128i v) {
  const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F));
  const __m128i tab = _mm_cmpeq_epi8(v, _mm_set1_epi8('\t'));
  const __m128i del = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7F));
  return _mm_movemask_epi8(_mm_or_si128(_mm_andnot_si128(tab, control), del));
}
// Lanes that are not visible ASCII (a request target's bytes): signed, "below 0x21" also takes
// the bytes from 0x80.
int non_visible(__m128i v) {
  const __m128i low = _mm_cmplt_epi8(v, _mm_set1_epi8(0x21));
  return _mm_movemask_epi8(_mm_or_si128(low, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7F))));
}
// Lanes that are not a letter, a digit or '-', the bytes of nearly every field name. OR-ing
// 0x20 maps the letters, and only them, onto 'a' to 'z'; bytes from 0x80 stay negative.
int non_name_byte(__m128i v) {
  const __m128i lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
  const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(lower, _mm_set1_epi8('a' - 1)),
                                       _mm_cmplt_epi8(lower, _mm_set1_epi8('z' + 1)));
  const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                      _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
  const __m128i dash = _mm_cmpeq_epi8(v, _mm_set1_epi8('-'));
  return ~_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(letter, digit), dash)) & 0xFFFF;
}

template <int (*Reject)(__m128i)>
bool vector_check(std::string_view all, std::string_view text) {
  const char* p = text.data();
  const char* end = p + text.size();
  for (; end - p >= 16; p += 16) {
    if (Reject(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))) != 0) return false;
  }
  const auto tail = static_cast<int>(end - p);
  if (tail == 0) return true;
  if (end - all.data() >= 16) {
    const int mask = Reject(_mm_loadu_si128(reinterpret_cast<const __m128i*>(end - 16)));
    return (static_cast<unsigned>(mask) >> (16 - tail)) == 0;
  }
  for (; p != end; ++p) {
    if (Reject(_mm_set1_epi8(*p)) != 0) return false;
  }
  return true;
}
#endif

// Whether `text` is all field text (a value, a reason) or, with `visible`, all visible ASCII
// (a request target).
bool is_text(std::string_view all, std::string_view text, bool visible = false) {
#ifdef __SSE2__
  return visible ? vector_check<non_visible>(all, text) : vector_check<non_field_text>(all, text);
#else
  (void)all;
  return all_of(visible ? kClasses.visible : kClasses.field_text, text);
#endif
}

// The offset of the colon that ends `line`'s name when the name is letters, digits and '-'
// (checked in the same pass); npos where it is not, or where `all` leaves too few bytes to
// load past it: the name is then looked at byte by byte.
std::size_t plain_name_end(std::string_view all, std::string_view line) {
#ifdef __SSE2__
  const char* begin = line.data();
  const char* ceiling = all.data() + all.size();
  // The line's CR, in `all`, stops the scan at the latest.
  for (const char* p = begin; ceiling - p >= 16; p += 16) {
    if (const int mask = non_name_byte(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)))) {
      const char* stop = p + __builtin_ctz(static_cast<unsigned>(mask));
      return *stop == ':' && stop != begin ? static_cast<std::size_t>(stop - begin)
                                           : std::string_view::npos;
    }
  }
#else
  (void)all;
  (void)line;
#endif
  return std::string_view::npos;
}

// The first LF from `p`, or `end`.
const char* find_lf(const char* p, const char* end) {
#ifdef __SSE2__
  const __m128i lf = _mm_set1_epi8('\n');
  for (; end - p >= 16; p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    if (const int mask = _mm_movemask_epi8(_mm_cmpeq_epi8(v, lf)); mask != 0) {
      return p + __builtin_ctz(static_cast<unsigned>(mask));
    }
  }
#endif
  if (p == end) return end;
  const void* lf_at = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
  return lf_at != nullptr ? static_cast<const char*>(lf_at) : end;
}

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

// Calls `each` with every element of a comma-separated list (RFC 9110 §5.6.1), trimmed, empty
// elements skipped.
template <class Each>
void for_each_element(std::string_view list, Each each) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view element = trim_ows(list.substr(0, comma));
    if (!element.empty()) each(element);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// A field line's name and value (trimmed): field-name ":" OWS field-value OWS.
inline error split_field(std::string_view all, std::string_view line, std::string_view& name,
                         std::string_view& value) {
  std::size_t colon = plain_name_end(all, line);
  if (colon == std::string_view::npos) {
    colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 ||
        !all_of(kClasses.token, line.substr(0, colon))) {
      // A line that starts with whitespace folds onto the one before (or is space before the
      // first field); anything else before the colon, a space say, makes no name.
      return !line.empty() && is_space(line[0]) ? error::bad_obs_fold : error::bad_field;
    }
  }
  name = line.substr(0, colon);
  value = trim_ows(line.substr(colon + 1));
  return is_text(all, value) ? kOk : error::bad_value;
}

// "HTTP/1.0" or "HTTP/1.1" as 10 or 11; 0 for anything else.
int parse_version(std::string_view text) {
  if (text.size() != 8 || text.substr(0, 7) != "HTTP/1.") return 0;
  return text[7] == '0' ? 10 : text[7] == '1' ? 11 : 0;
}

// The line from `from`: the offset of its CR, npos when its LF has not come. A LF without a CR
// before it is a bad line ending.
std::size_t line_end(std::string_view bytes, std::size_t from, error& fail) {
  const char* end = bytes.data() + bytes.size();
  const char* lf = find_lf(bytes.data() + from, end);
  if (lf == end) return std::string_view::npos;
  const auto at = static_cast<std::size_t>(lf - bytes.data());
  if (at == from || bytes[at - 1] != '\r') {
    fail = error::bad_line_ending;
    return std::string_view::npos;
  }
  return at - 1;
}

}  // namespace

bool HttpParser::name_is(std::string_view name, std::string_view lower) {
  // OR-ing 0x20 turns an upper-case letter into its lower case and leaves '-' and the digits
  // as they are; no other token byte becomes a lower-case letter, '-' or a digit.
  if (name.size() != lower.size()) return false;
  std::size_t i = 0;
  for (; i + 8 <= name.size(); i += 8) {
    std::uint64_t a = 0, b = 0;
    std::memcpy(&a, name.data() + i, 8);
    std::memcpy(&b, lower.data() + i, 8);
    if ((a | 0x2020202020202020u) != b) return false;
  }
  for (; i < name.size(); ++i) {
    if ((name[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

bool HttpParser::keep_alive() const {
  if (to_close_) return false;
  return version_ >= 11 ? !close_ : keep_alive_ && !close_;
}

std::size_t HttpParser::put(std::string_view bytes, error_code& ec) {
  ec = {};
  if (!bytes.empty()) got_some_ = true;
  error fail = kOk;
  const std::size_t used =
      state_ == State::Head ? parse_head(bytes, fail, ec) : parse_body(bytes, fail, ec);
  if (fail != kOk) ec = fail;
  return used;
}

void HttpParser::put_eof(error_code& ec) {
  ec = {};
  if (state_ == State::ToClose) {
    state_ = State::Done;
  } else if (state_ != State::Done) {
    ec = error::partial_message;
  }
}

std::size_t HttpParser::parse_head(std::string_view bytes, error& fail, error_code& ec) {
  // A server ignores blank lines before a request line (RFC 9112 §2.2).
  std::size_t start = 0;
  if (kind_ == Kind::Request) {
    while (start + 1 < bytes.size() && bytes[start] == '\r' && bytes[start + 1] == '\n') {
      start += 2;
    }
  }
  // Find the blank line that ends the head before parsing any of it, so that no field is
  // handed on twice; lines already searched are not searched again. Only the bytes within the
  // limit are searched, so that what a head past it gets does not depend on how it arrived.
  // The line ends found are kept for the parse (unless the head came in pieces, or has more
  // lines than are kept), which then need not find them again.
  const std::string_view window = bytes.substr(0, header_limit_);
  std::size_t from = std::max(start, scanned_);
  std::array<std::size_t, 32> line_ends;  // each line's CR
  std::size_t lines = 0;
  bool all_kept = from == start;
  std::size_t end = std::string_view::npos;
  while (from < window.size()) {
    const std::size_t cr = line_end(window, from, fail);
    if (fail != kOk) return 0;
    if (cr == std::string_view::npos) break;
    if (cr == from) {
      if (from == start) {
        fail = error::bad_line_ending;  // a blank line where the start line goes
        return 0;
      }
      end = cr;
      break;
    }
    if (lines < line_ends.size()) {
      line_ends[lines++] = cr;
    } else {
      all_kept = false;
    }
    from = cr + 2;
  }
  if (end == std::string_view::npos) {
    scanned_ = from;
    fail = bytes.size() >= header_limit_ ? error::header_limit : error::need_more;
    return 0;
  }
  const std::size_t used = end + 2;
  scanned_ = 0;

  // Every line ends in CRLF now: the first LF from a line's start ends it.
  std::size_t line = 0;
  auto cr_from = [&](std::size_t at) {
    if (all_kept) return line_ends[line++];
    return static_cast<std::size_t>(find_lf(bytes.data() + at, bytes.data() + used) -
                                    bytes.data()) -
           1;
  };
  std::size_t at = start;
  std::size_t cr = cr_from(at);
  fail = parse_start_line(bytes, bytes.substr(at, cr - at), ec);
  for (at = cr + 2; fail == kOk && !ec && at < end; at = cr + 2) {
    cr = cr_from(at);
    fail = parse_field(bytes, bytes.substr(at, cr - at), ec);
  }
  if (fail == kOk && !ec) fail = frame();
  if (fail == kOk && !ec) on_header(ec);
  return fail == kOk && !ec ? used : 0;
}

HttpParser::error HttpParser::parse_start_line(std::string_view all, std::string_view line,
                                               error_code& ec) {
  if (kind_ == Kind::Request) {
    // method SP request-target SP HTTP-version
    const std::size_t sp1 = line.find(' ');
    const std::string_view method = line.substr(0, sp1);
    if (sp1 == std::string_view::npos || method.empty() || !all_of(kClasses.token, method)) {
      return error::bad_method;
    }
    const std::size_t sp2 = line.find(' ', sp1 + 1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    if (sp2 == std::string_view::npos || target.empty() ||
        !is_text(all, target, /*visible=*/true)) {
      return error::bad_target;
    }
    version_ = parse_version(line.substr(sp2 + 1));
    if (version_ == 0) return error::bad_version;
    on_request(method, target, version_, ec);
    return kOk;
  }
  // HTTP-version SP 3DIGIT SP [reason]; a missing reason and its space are let pass.
  version_ = parse_version(line.substr(0, 8));
  if (version_ == 0 || line.size() < 9 || line[8] != ' ') return error::bad_version;
  const std::string_view code = line.substr(9, 3);
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (code.size() != 3 || !digit(code[0]) || !digit(code[1]) || !digit(code[2]) ||
      (line.size() > 12 && line[12] != ' ')) {
    return error::bad_status;
  }
  status_ = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  const std::string_view reason = line.size() > 13 ? line.substr(13) : std::string_view();
  if (!is_text(all, reason)) return error::bad_reason;
  on_response(status_, reason, version_, ec);
  return kOk;
}

HttpParser::error HttpParser::parse_field(std::string_view all, std::string_view line,
                                          error_code& ec) {
  std::string_view name, value;
  if (const error fail = split_field(all, line, name, value); fail != kOk) return fail;

  // The fields that frame the message (told apart by length first: most fields are none).
  if (name.size() == 14 && name_is(name, "content-length")) {
    // 1*DIGIT; a list, or the field repeated, only with one value throughout.
    error fail = kOk;
    bool any = false;
    for_each_element(value, [&](std::string_view digits) {
      std::uint64_t n = 0;
      for (char c : digits) {
        if (c < '0' || c > '9' || n > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) {
          fail = error::bad_content_length;
          return;
        }
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
      }
      if (content_length_ && *content_length_ != n) fail = error::multiple_content_length;
      content_length_ = n;
      any = true;
    });
    if (!any && fail == kOk) fail = error::bad_content_length;  // an empty value
    if (fail != kOk) return fail;
  } else if (name.size() == 10 && name_is(name, "connection")) {
    for_each_element(value, [&](std::string_view token) {
      if (ascii_iequals(token, "close")) close_ = true;
      if (ascii_iequals(token, "keep-alive")) keep_alive_ = true;
    });
  } else if (name.size() == 17 && name_is(name, "transfer-encoding")) {
    // Codings accumulate over repeated fields; chunked must be the last, and only once.
    error fail = kOk;
    for_each_element(value, [&](std::string_view coding) {
      if (chunked_) fail = error::bad_transfer_encoding;  // anything after chunked
      chunked_ = ascii_iequals(coding, "chunked");
      if (kind_ == Kind::Request && !chunked_) fail = error::bad_transfer_encoding;
    });
    transfer_encoding_ = true;
    if (fail != kOk) return fail;
  }
  on_field(name, value, ec);
  return kOk;
}

HttpParser::error HttpParser::frame() {
  if (transfer_encoding_ && content_length_) {
    return error::bad_transfer_encoding;  // two framings: which one a hop obeys is unknowable
  }
  if (kind_ == Kind::Request && transfer_encoding_ && (!chunked_ || version_ < 11)) {
    return error::bad_transfer_encoding;
  }
  const bool no_body = kind_ == Kind::Response &&
                       ((status_ >= 100 && status_ < 200) || status_ == 204 || status_ == 304);
  if (no_body) {
    state_ = State::Done;
  } else if (transfer_encoding_) {
    to_close_ = !chunked_;
    state_ = chunked_ ? State::ChunkSize : State::ToClose;
  } else if (content_length_) {
    if (*content_length_ > body_limit_) return error::body_limit;
    remaining_ = *content_length_;
    state_ = remaining_ == 0 ? State::Done : State::Length;
  } else {
    to_close_ = kind_ == Kind::Response;
    state_ = to_close_ ? State::ToClose : State::Done;
  }
  return kOk;
}

std::size_t HttpParser::parse_body(std::string_view bytes, error& fail, error_code& ec) {
  std::size_t used = 0;
  while (fail == kOk && !ec && state_ != State::Done) {
    const std::string_view rest = bytes.substr(used);
    std::size_t n = 0;
    switch (state_) {
      case State::Length:
      case State::ChunkData: {
        const auto size =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, rest.size()));
        if (size == 0) break;
        n = deliver(rest.substr(0, size), ec);
        remaining_ -= n;
        if (remaining_ == 0) state_ = state_ == State::Length ? State::Done : State::ChunkEnd;
        break;
      }
      case State::ToClose:
        if (body_size_ + rest.size() > body_limit_) {
          fail = error::body_limit;
        } else if (!rest.empty()) {
          n = deliver(rest, ec);
        }
        break;
      case State::ChunkSize:
        n = parse_chunk_size(rest, fail);
        break;
      case State::ChunkEnd:
        if (rest.size() < 2) break;
        if (rest[0] != '\r' || rest[1] != '\n') {
          fail = error::bad_chunk;
          break;
        }
        n = 2;
        state_ = State::ChunkSize;
        break;
      case State::Trailer:
        n = parse_trailer(rest, fail);
        break;
      case State::Head:
      case State::Done:
        break;
    }
    used += n;
    if (n == 0) break;  // nothing more to take from these bytes
  }
  if (fail == kOk && !ec && used == 0 && state_ != State::Done) fail = error::need_more;
  return used;
}

std::size_t HttpParser::deliver(std::string_view piece, error_code& ec) {
  const std::size_t n = on_body(piece, ec);
  body_size_ += n;
  return n;
}

std::size_t HttpParser::parse_chunk_size(std::string_view bytes, error& fail) {
  // chunk-size [chunk-ext] CRLF, where chunk-ext is *( BWS ";" BWS name [ BWS "=" BWS value ] )
  const std::size_t cr = line_end(bytes.substr(0, kChunkLineLimit + 2), 0, fail);
  if (fail != kOk) return 0;
  if (cr == std::string_view::npos) {
    if (bytes.size() >= kChunkLineLimit + 2) fail = error::bad_chunk;
    return 0;
  }
  const std::string_view line = bytes.substr(0, cr);
  std::uint64_t size = 0;
  std::size_t i = 0;
  for (; i < line.size(); ++i) {
    const char c = line[i];
    const int digit = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
    if (digit < 0) break;
    if (size > (std::numeric_limits<std::uint64_t>::max() >> 4)) {
      fail = error::bad_chunk;
      return 0;
    }
    size = size * 16 + static_cast<std::uint64_t>(digit);
  }
  if (i == 0) {
    fail = error::bad_chunk;
    return 0;
  }
  // Extensions mean nothing to hearth; they need only be text without controls.
  const std::string_view extensions = trim_ows(line.substr(i));
  if (!extensions.empty() &&
      (extensions.front() != ';' || !all_of(kClasses.field_text, extensions))) {
    fail = error::bad_chunk_extension;
    return 0;
  }
  if (size > body_limit_ - body_size_) {
    fail = error::body_limit;
    return 0;
  }
  remaining_ = size;
  state_ = size == 0 ? State::Trailer : State::ChunkData;
  return cr + 2;
}

std::size_t HttpParser::parse_trailer(std::string_view bytes, error& fail) {
  // *( field-line CRLF ) CRLF: checked as fields are, and dropped (hearth reads no trailer).
  // Searched within the limit only, as the head is.
  const std::string_view window = bytes.substr(0, header_limit_);
  std::size_t from = std::min(scanned_, window.size());
  while (true) {
    const std::size_t cr = line_end(window, from, fail);
    if (fail != kOk) return 0;
    if (cr == std::string_view::npos) {
      scanned_ = from;
      if (bytes.size() >= header_limit_) fail = error::header_limit;
      return 0;
    }
    const bool blank = cr == from;
    from = cr + 2;
    if (blank) break;
  }
  scanned_ = 0;
  std::string_view name, value;
  for (std::size_t at = 0; at + 2 < from;) {
    const std::size_t cr = bytes.find("\r\n", at);
    fail = split_field(bytes, bytes.substr(at, cr - at), name, value);
    if (fail != kOk) return 0;
    at = cr + 2;
  }
  state_ = State::Done;
  return from;
}

}  // namespace hearth
