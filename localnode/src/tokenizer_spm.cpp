// SentencePiece-style encoding (tokenizer.ggml.model = llama): start from single UTF-8
// characters and repeatedly merge the adjacent pair whose concatenation is the
// highest-scoring vocabulary entry (ties: leftmost first); symbols that are not tokens fall
// back to their bytes.

#include <queue>
#include <string>
#include <vector>

#include "hearth/localnode/tokenizer.hpp"

namespace hearth::localnode {
namespace {

size_t utf8_len(unsigned char c) {
  static constexpr size_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[c >> 4];
}

struct Symbol {
  int prev;
  int next;
  size_t begin;
  size_t len;  // 0 once merged into its left neighbour
};

struct Bigram {
  int left;
  int right;
  float score;
  size_t len;  // the merged length when queued; stale entries no longer match
};

// Orders the max-heap: higher score first, then the leftmost pair.
struct BigramLess {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

void Tokenizer::encode_spm(std::string_view raw, std::vector<int32_t>& out) const {
  // Spaces become "▁".
  std::string text;
  text.reserve(raw.size() * 3);
  for (char ch : raw) {
    if (ch == ' ') {
      text += "\xE2\x96\x81";
    } else {
      text += ch;
    }
  }

  std::vector<Symbol> symbols;
  for (size_t pos = 0; pos < text.size();) {
    const size_t len = std::min(utf8_len(static_cast<unsigned char>(text[pos])), text.size() - pos);
    const int idx = static_cast<int>(symbols.size());
    symbols.push_back({idx - 1, idx + 1, pos, len});
    pos += len;
  }
  if (symbols.empty()) return;
  symbols.back().next = -1;

  std::priority_queue<Bigram, std::vector<Bigram>, BigramLess> queue;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[static_cast<size_t>(left)];
    const Symbol& r = symbols[static_cast<size_t>(right)];
    const std::string_view merged(text.data() + l.begin, l.len + r.len);
    const int32_t id = find(merged);
    if (id < 0) return;
    queue.push({left, right, scores_[static_cast<size_t>(id)], merged.size()});
  };
  for (size_t i = 1; i < symbols.size(); ++i) try_add(static_cast<int>(i - 1), static_cast<int>(i));

  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& l = symbols[static_cast<size_t>(b.left)];
    Symbol& r = symbols[static_cast<size_t>(b.right)];
    // Skip pairs that an earlier merge consumed or changed.
    if (l.len == 0 || r.len == 0 || l.len + r.len != b.len) continue;
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) symbols[static_cast<size_t>(r.next)].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }

  for (int i = 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
    const Symbol& s = symbols[static_cast<size_t>(i)];
    const std::string_view piece(text.data() + s.begin, s.len);
    const int32_t id = find(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    for (char ch : piece) {
      const int32_t byte_id = byte_tokens_[static_cast<unsigned char>(ch)];
      out.push_back(byte_id >= 0 ? byte_id : unk_);
    }
  }
}

}  // namespace hearth::localnode
