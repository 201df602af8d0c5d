# The fuzz targets, named once for the libFuzzer build (fuzz/CMakeLists.txt) and the replay tests (fuzz/replay.cmake).
# SPDX-License-Identifier: MIT

set(converge_fuzz_dir "${CMAKE_CURRENT_LIST_DIR}")

# decode_<type> for every type in CONVERGE_FUZZ_TYPES (fuzz/targets.hpp), then the round trip.
set(converge_fuzz_types
  g_counter_u64 g_counter_str pn_counter_u32_u16 vector_clock_i32 vector_clock_str g_set_u64 g_set_str
  g_map_str_pn_u32_u16 retirable_str_u32_u16 sync_message_g_map
  max_register_u64 lww_register_str_u32 or_set_str_u32 g_map_str_or_set_str_u64
  presence_map_str_u32_u16 broadcast_message_presence_str repair_request_u32)
set(converge_fuzz_targets "")
foreach(type IN LISTS converge_fuzz_types)
  list(APPEND converge_fuzz_targets decode_${type})
endforeach()
list(APPEND converge_fuzz_targets roundtrip)

# Gives `target` the code of fuzz target `name`: decode.fuzz.cpp with the type's name defined,
# or <name>.fuzz.cpp.
function(converge_fuzz_target_code target name)
  if(name MATCHES "^decode_(.+)$")
    target_sources(${target} PRIVATE "${converge_fuzz_dir}/decode.fuzz.cpp")
    target_compile_definitions(${target} PRIVATE CONVERGE_FUZZ_TYPE=${CMAKE_MATCH_1})
  else()
    target_sources(${target} PRIVATE "${converge_fuzz_dir}/${name}.fuzz.cpp")
  endif()
  target_link_libraries(${target} PRIVATE converge::converge converge_warnings)
endfunction()
