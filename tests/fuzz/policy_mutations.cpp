// Seeded mutations of policy files through the policy fuzz target, as an ordinary test:
//   hearth_policy_mutations N SEED_FILE...
// Each seed gets N mutations: byte flips, cut lines, duplicated lines, swapped lines, a
// truncation, inserted YAML punctuation. Deterministic (fixed RNG seed), so a failure repeats.

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line + "\n");
  return lines;
}

std::string mutate(const std::string& seed, std::mt19937_64& rng) {
  static const char* kPunctuation[] = {":", "{", "}", "[", "]", "- ", "'", "\"", "&a", "*a", "!!binary ", "\t", "#", "\\"};
  std::string out = seed;
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !out.empty(); ++e) {
    auto lines = lines_of(out);
    switch (rng() % 6) {
      case 0:  // flip a byte
        out[rng() % out.size()] = static_cast<char>(rng() % 256);
        break;
      case 1:  // cut a line
        if (!lines.empty()) lines.erase(lines.begin() + static_cast<long>(rng() % lines.size()));
        out.clear();
        for (const auto& l : lines) out += l;
        break;
      case 2:  // duplicate a line
        if (!lines.empty()) {
          const size_t i = rng() % lines.size();
          lines.insert(lines.begin() + static_cast<long>(i), lines[i]);
        }
        out.clear();
        for (const auto& l : lines) out += l;
        break;
      case 3:  // swap two lines
        if (lines.size() > 1) std::swap(lines[rng() % lines.size()], lines[rng() % lines.size()]);
        out.clear();
        for (const auto& l : lines) out += l;
        break;
      case 4:  // truncate
        out.resize(rng() % out.size());
        break;
      default:  // insert YAML punctuation
        out.insert(rng() % out.size(), kPunctuation[rng() % std::size(kPunctuation)]);
        break;
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s N SEED_FILE...\n", argv[0]);
    return 2;
  }
  const long n = std::stol(argv[1]);
  std::mt19937_64 rng(20261122);
  size_t runs = 0;
  for (int i = 2; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", argv[i]);
      return 1;
    }
    const std::string seed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(seed.data()), seed.size());
    for (long k = 0; k < n; ++k) {
      const std::string input = mutate(seed, rng);
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
      ++runs;
    }
  }
  std::printf("ran %zu mutated policies\n", runs);
  return 0;
}
