// Governing spec: 021-wasm-aot-tier
// The ahead-of-time tier's cache and fallbacks: compiled objects are reused by a fresh executor,
// a corrupted or foreign cache file is rejected and rebuilt, the cache stays within its bound,
// and a missing compiler, a failing compile or a compile past its deadline runs the module in
// the interpreter with exactly one warning.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "traverse/wasm/wasm_executor.hpp"
#include "wasm_test_support.hpp"

namespace traverse {
namespace {

namespace fs = std::filesystem;
using wasm_test::run;
using wasm_test::test_config;
using wasm_test::wasm_capability;

// A private cache folder per test, removed afterwards.
class AotTier : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    cache_ = fs::temp_directory_path() /
             ("traverse-aot-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(cache_);
  }
  void TearDown() override { fs::remove_all(cache_); }

  WasmExecutorConfig config(WasmTier tier = WasmTier::Aot) {
    WasmExecutorConfig cfg = test_config();
    cfg.tier = tier;
    cfg.aot_cache_dir = cache_;
    cfg.on_warning = [this](std::string_view warning) { warnings_.emplace_back(warning); };
    return cfg;
  }

  std::vector<fs::path> objects() const {
    std::vector<fs::path> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(cache_, ec)) {
      if (entry.path().extension() == ".so")
        found.push_back(entry.path());
    }
    return found;
  }

  // A fake C compiler: a shell script with `body`.
  fs::path fake_compiler(const std::string& body) {
    fs::create_directories(cache_);
    const fs::path script = cache_ / "fake-cc.sh";
    std::ofstream(script) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(script, fs::perms::owner_all);
    return script;
  }

  fs::path cache_;
  std::vector<std::string> warnings_;
};

void expect_echo(const WasmExecutor& executor) {
  const Value input = {{"tier", "aot"}};
  auto output = run(executor, wasm_capability("echo"), input);
  ASSERT_TRUE(output.has_value()) << output.error().message();
  EXPECT_EQ(output->value, input);
}

TEST_F(AotTier, AFreshExecutorReusesTheCompiledObjectWithoutCompiling) {
  {
    auto first = wasm_test::make_executor(config());
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first->tier(), WasmTier::Aot);
    expect_echo(*first);
    EXPECT_EQ(first->stats().aot_compiles, 1U);
    EXPECT_EQ(first->stats().aot_executions, 1U);
  }
  ASSERT_EQ(objects().size(), 1U);
  auto second = wasm_test::make_executor(config());
  ASSERT_NE(second, nullptr);
  expect_echo(*second);
  EXPECT_EQ(second->stats().aot_compiles, 0U);
  EXPECT_EQ(second->stats().aot_object_reuses, 1U);
  EXPECT_EQ(second->stats().aot_executions, 1U);
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(AotTier, CorruptedCacheFileIsRejectedAndRebuilt) {
  {
    auto first = wasm_test::make_executor(config());
    expect_echo(*first);
  }
  ASSERT_EQ(objects().size(), 1U);
  const fs::path object = objects().front();
  {
    std::fstream file(object, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(200);
    file.write("CORRUPTED", 9);
  }
  auto second = wasm_test::make_executor(config());
  expect_echo(*second);
  EXPECT_EQ(second->stats().aot_compiles, 1U);
  EXPECT_EQ(second->stats().aot_object_reuses, 0U);
  EXPECT_EQ(second->stats().aot_executions, 1U);
}

TEST_F(AotTier, ForeignCacheFileIsRejectedAndRebuilt) {
  fs::path echo_object;
  {
    auto first = wasm_test::make_executor(config());
    expect_echo(*first);
    echo_object = objects().front();
    auto exited = run(*first, wasm_capability("exit_zero"));
    ASSERT_TRUE(exited.has_value()) << exited.error().message();
  }
  ASSERT_EQ(objects().size(), 2U);
  const fs::path other = objects().front() == echo_object ? objects().back() : objects().front();
  fs::copy_file(other, echo_object, fs::copy_options::overwrite_existing);  // wrong module's
  auto second = wasm_test::make_executor(config());
  expect_echo(*second);  // would print nothing (exit_zero) if the foreign object had run
  EXPECT_EQ(second->stats().aot_compiles, 1U);
  EXPECT_EQ(second->stats().aot_executions, 1U);
}

TEST_F(AotTier, CacheStaysWithinItsBoundByDeletingTheLeastRecentlyUsed) {
  fs::create_directories(cache_);
  const std::string filler(700 * 1024, 'x');
  for (const char* name : {"old-a.so", "old-b.so"}) {
    std::ofstream(cache_ / name, std::ios::binary) << filler;
  }
  const auto long_ago = fs::file_time_type::clock::now() - std::chrono::hours(48);
  fs::last_write_time(cache_ / "old-a.so", long_ago);
  fs::last_write_time(cache_ / "old-b.so", long_ago + std::chrono::hours(1));
  WasmExecutorConfig cfg = config();
  cfg.aot_cache_max_bytes = 1024 * 1024;
  auto executor = wasm_test::make_executor(cfg);
  expect_echo(*executor);
  EXPECT_FALSE(fs::exists(cache_ / "old-a.so"));  // the oldest goes first
  EXPECT_TRUE(fs::exists(cache_ / "old-b.so"));   // then the total fits
  std::uint64_t total = 0;
  for (const auto& object : objects())
    total += fs::file_size(object);
  EXPECT_LE(total, cfg.aot_cache_max_bytes);
  EXPECT_EQ(executor->stats().aot_executions, 1U);
}

TEST_F(AotTier, NoCompilerMeansTheInterpreterWithExactlyOneWarning) {
  WasmExecutorConfig cfg = config(WasmTier::Auto);
  cfg.c_compiler = cache_ / "no-such-cc";
  auto executor = wasm_test::make_executor(cfg);
  ASSERT_NE(executor, nullptr);
  EXPECT_EQ(executor->tier(), WasmTier::Interpreter);
  expect_echo(*executor);
  expect_echo(*executor);
  EXPECT_EQ(executor->stats().aot_executions, 0U);
  ASSERT_EQ(warnings_.size(), 1U);
  EXPECT_NE(warnings_[0].find("no C compiler"), std::string::npos) << warnings_[0];
}

TEST_F(AotTier, NoCompilerWithTheAotTierRequestedFailsCreate) {
  WasmExecutorConfig cfg = config(WasmTier::Aot);
  cfg.c_compiler = cache_ / "no-such-cc";
  auto executor = WasmExecutor::create(cfg);
  ASSERT_FALSE(executor.has_value());
  EXPECT_EQ(executor.error().kind(), ExecutorErrorClass::RuntimeSetupFailed);
  EXPECT_NE(executor.error().message().find("no C compiler"), std::string::npos)
      << executor.error().message();
}

TEST_F(AotTier, FailingCompileRunsTheModuleInTheInterpreterWithOneWarningSayingWhy) {
  WasmExecutorConfig cfg = config(WasmTier::Auto);
  cfg.c_compiler = fake_compiler("echo 'fake-cc: refusing to compile' >&2; exit 1");
  auto executor = wasm_test::make_executor(cfg);
  expect_echo(*executor);
  expect_echo(*executor);
  EXPECT_EQ(executor->stats().aot_executions, 0U);
  EXPECT_EQ(executor->stats().aot_fallbacks, 1U);
  ASSERT_EQ(warnings_.size(), 1U);
  EXPECT_NE(warnings_[0].find("fake-cc: refusing to compile"), std::string::npos) << warnings_[0];
  EXPECT_TRUE(objects().empty());
}

TEST_F(AotTier, CompilePastItsTimeoutIsStoppedAndTheModuleRunsInTheInterpreter) {
  WasmExecutorConfig cfg = config(WasmTier::Auto);
  cfg.c_compiler = fake_compiler("exec sleep 30");
  cfg.aot_compile_timeout = std::chrono::milliseconds(300);
  auto executor = wasm_test::make_executor(cfg);
  const auto start = std::chrono::steady_clock::now();
  expect_echo(*executor);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  expect_echo(*executor);
  EXPECT_EQ(executor->stats().aot_fallbacks, 1U);
  ASSERT_EQ(warnings_.size(), 1U);
  EXPECT_NE(warnings_[0].find("longer than 300 ms"), std::string::npos) << warnings_[0];
}

TEST_F(AotTier, CompileAheadReportsTheObjectThenFindsItCached) {
  auto executor = wasm_test::make_executor(config());
  auto first = executor->compile_ahead(wasm_test::module_path("echo"));
  ASSERT_TRUE(first.has_value()) << first.error().message();
  EXPECT_TRUE(first->compiled);
  EXPECT_TRUE(fs::exists(first->object_path));
  EXPECT_EQ(first->object_path.parent_path(), cache_);
  auto again = wasm_test::make_executor(config());
  auto second = again->compile_ahead(wasm_test::module_path("echo"));
  ASSERT_TRUE(second.has_value()) << second.error().message();
  EXPECT_FALSE(second->compiled);
  EXPECT_EQ(second->object_path, first->object_path);
  expect_echo(*again);
  EXPECT_EQ(again->stats().aot_compiles, 0U);
}

}  // namespace
}  // namespace traverse
