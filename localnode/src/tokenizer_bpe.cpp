// Byte-level BPE encoding (tokenizer.ggml.model = gpt2): split the text into words with the
// pre-tokenizer, write each word's bytes in GPT-2's byte alphabet, start from its single
// characters and repeatedly merge the adjacent pair with the lowest merge rank (ties:
// leftmost first). A final symbol that is not a token falls back to its characters.

#include <queue>
#include <string>
#include <vector>

#include "hearth/localnode/pre_tokenizer.hpp"
#include "hearth/localnode/tokenizer.hpp"
#include "unicode.hpp"

namespace hearth::localnode {
namespace {

struct Symbol {
  int prev;
  int next;
  size_t begin;
  size_t len;  // 0 once merged into its left neighbour
};

struct Pair {
  int left;
  int right;
  int32_t rank;
  size_t len;  // the merged length when queued; stale entries no longer match
};

// Orders the max-heap: the lowest rank first, then the leftmost pair.
struct PairLess {
  bool operator()(const Pair& a, const Pair& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

}  // namespace

int32_t Tokenizer::merge_rank(std::string_view left, std::string_view right) const {
  std::string key;
  key.reserve(left.size() + 1 + right.size());
  key.append(left).append(1, ' ').append(right);
  auto it = merges_.find(key);
  return it == merges_.end() ? -1 : it->second;
}

void Tokenizer::encode_bpe(std::string_view text, std::vector<int32_t>& out) const {
  std::string word;
  for (std::string_view piece : pre_tokenize(pre_, text)) {
    word.clear();
    for (char ch : piece) word.append(unicode::byte_char(static_cast<uint8_t>(ch)));
    encode_bpe_word(word, out);
  }
}

void Tokenizer::encode_bpe_word(std::string_view word, std::vector<int32_t>& out) const {
  if (ignore_merges_) {
    if (const int32_t id = find(word); id >= 0) {
      out.push_back(id);
      return;
    }
  }

  // One symbol per character of the mapped word.
  std::vector<Symbol> symbols;
  for (size_t pos = 0; pos < word.size();) {
    const size_t len = unicode::decode_utf8(word, pos).len;
    const int idx = static_cast<int>(symbols.size());
    symbols.push_back({idx - 1, idx + 1, pos, len});
    pos += len;
  }
  if (symbols.empty()) return;
  symbols.back().next = -1;

  std::priority_queue<Pair, std::vector<Pair>, PairLess> queue;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[static_cast<size_t>(left)];
    const Symbol& r = symbols[static_cast<size_t>(right)];
    const int32_t rank = merge_rank(word.substr(l.begin, l.len), word.substr(r.begin, r.len));
    if (rank < 0) return;
    queue.push({left, right, rank, l.len + r.len});
  };
  for (size_t i = 1; i < symbols.size(); ++i) try_add(static_cast<int>(i - 1), static_cast<int>(i));

  while (!queue.empty()) {
    const Pair p = queue.top();
    queue.pop();
    Symbol& l = symbols[static_cast<size_t>(p.left)];
    Symbol& r = symbols[static_cast<size_t>(p.right)];
    // Skip pairs that an earlier merge consumed or changed.
    if (l.len == 0 || r.len == 0 || l.len + r.len != p.len) continue;
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) symbols[static_cast<size_t>(r.next)].prev = p.left;
    try_add(l.prev, p.left);
    try_add(p.left, l.next);
  }

  for (int i = 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
    const Symbol& s = symbols[static_cast<size_t>(i)];
    const std::string_view piece = word.substr(s.begin, s.len);
    if (const int32_t id = find(piece); id >= 0) {
      out.push_back(id);
      continue;
    }
    // Not a token (a vocabulary without every merge result): its characters one by one.
    for (size_t pos = 0; pos < piece.size();) {
      const size_t len = unicode::decode_utf8(piece, pos).len;
      const int32_t id = find(piece.substr(pos, len));
      if (id >= 0) {
        out.push_back(id);
      } else if (unk_ >= 0) {
        out.push_back(unk_);
      }
      pos += len;
    }
  }
}

}  // namespace hearth::localnode
