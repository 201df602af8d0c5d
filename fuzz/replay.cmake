# Regression tests for the fuzz targets, in the ordinary test build (any compiler, sanitizers included).
# SPDX-License-Identifier: MIT
#
# One program holds every target's checks (fuzz/checks.hpp) and runs them, without libFuzzer,
# over each target's seed corpus and the inputs kept in fuzz/regressions/<target>/ (scripts/fuzz
# copies every crash there). A test cannot pass vacuously: the replay fails when it finds no
# input at all.

include("${CMAKE_CURRENT_LIST_DIR}/targets.cmake")

add_executable(converge_fuzz_replay "${converge_fuzz_dir}/replay.cpp")
target_link_libraries(converge_fuzz_replay PRIVATE converge::converge converge_warnings)

foreach(name IN LISTS converge_fuzz_targets)
  add_test(NAME fuzz_replay.${name}
    COMMAND converge_fuzz_replay ${name}
      "${converge_fuzz_dir}/corpus/${name}" "${converge_fuzz_dir}/regressions/${name}")
  set_tests_properties(fuzz_replay.${name} PROPERTIES LABELS fuzz)
endforeach()

# The committed corpus must be what make_corpus writes today, so that it follows the format.
add_executable(converge_fuzz_corpus_check "${converge_fuzz_dir}/make_corpus.cpp")
target_link_libraries(converge_fuzz_corpus_check PRIVATE converge::converge converge_warnings)
add_test(NAME fuzz_corpus_up_to_date
  COMMAND converge_fuzz_corpus_check --check "${converge_fuzz_dir}/corpus")
set_tests_properties(fuzz_corpus_up_to_date PROPERTIES LABELS fuzz)

# The service's WebSocket frame reader: its own check (ws_frame_check.hpp) over its own corpus.
add_executable(converge_fuzz_replay_ws_frame "${converge_fuzz_dir}/ws_frame_replay.cpp"
               "${converge_fuzz_dir}/../examples/active_users/http/ws_frame.cpp")
target_include_directories(converge_fuzz_replay_ws_frame PRIVATE "${converge_fuzz_dir}/../examples/active_users")
target_link_libraries(converge_fuzz_replay_ws_frame PRIVATE converge_warnings)
target_compile_features(converge_fuzz_replay_ws_frame PRIVATE cxx_std_20)
add_test(NAME fuzz_replay.ws_frame
  COMMAND converge_fuzz_replay_ws_frame "${converge_fuzz_dir}/corpus/ws_frame" "${converge_fuzz_dir}/regressions/ws_frame")
set_tests_properties(fuzz_replay.ws_frame PROPERTIES LABELS fuzz)
