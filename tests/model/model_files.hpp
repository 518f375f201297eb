#pragma once
// Where the shared test models live: $HEARTH_TEST_MODELS, else <repo>/../shared/models.
// Tests that need them skip with a message naming the path when they are absent.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "hearth/localnode/gguf.hpp"
#include "hearth/localnode/model.hpp"
#include "hearth/localnode/tokenizer.hpp"

namespace hearth::localnode::testing {

inline std::filesystem::path models_dir() {
  if (const char* env = std::getenv("HEARTH_TEST_MODELS"); env != nullptr && *env != '\0') return env;
  // Tests run with the repository root as their working directory (see tests/CMakeLists.txt).
  return std::filesystem::current_path() / ".." / "shared" / "models";
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline nlohmann::json read_json(const std::filesystem::path& p) { return nlohmann::json::parse(read_text(p)); }

// A GGUF file's model and tokenizer; what fails is a test failure, and leaves both null.
struct LoadedModel {
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
};

inline LoadedModel load_model_file(const std::filesystem::path& path) {
  LoadedModel loaded;
  auto file = GgufFile::open(path);
  if (!file.ok()) {
    ADD_FAILURE() << path << ": " << file.error().message;
    return loaded;
  }
  auto tokenizer = Tokenizer::from_gguf(*file);
  if (!tokenizer.ok()) {
    ADD_FAILURE() << path << ": " << tokenizer.error().message;
    return loaded;
  }
  auto model = Model::load(std::move(file).value());
  if (!model.ok()) {
    ADD_FAILURE() << path << ": " << model.error().message;
    return loaded;
  }
  loaded.model = std::move(model).value();
  loaded.tokenizer = std::make_unique<Tokenizer>(std::move(tokenizer).value());
  return loaded;
}

}  // namespace hearth::localnode::testing

// Skips the current test when `path` (under models_dir()) is missing.
#define HEARTH_REQUIRE_MODEL_FILE(path)                                                                 \
  do {                                                                                                  \
    if (!std::filesystem::exists(path)) {                                                               \
      GTEST_SKIP() << "test model " << (path) << " not found: set HEARTH_TEST_MODELS to the shared/models " \
                   << "folder (see ../shared/models/PROVENANCE.md)";                                    \
    }                                                                                                   \
  } while (0)
