#pragma once
// A tiny random-weight Model, loaded through the real GGUF parser and Model::load; null (and a
// test failure) when either refuses it.

#include <gtest/gtest.h>

#include <memory>

#include "hearth/localnode/model.hpp"
#include "tiny_model.hpp"

namespace hearth::localnode::testing {

inline std::unique_ptr<Model> load_tiny(const TinyConfig& c, TinyWeights& w) {
  auto file = GgufFile::parse(make_tiny_model(c, w), "tiny.gguf");
  EXPECT_TRUE(file.ok()) << file.error().message;
  if (!file.ok()) return nullptr;
  auto model = Model::load(std::move(file).value());
  EXPECT_TRUE(model.ok()) << model.error().message;
  return model.ok() ? std::move(model).value() : nullptr;
}

}  // namespace hearth::localnode::testing
