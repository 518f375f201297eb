# hearth_add_module(NAME SOURCES... ) — one library per top-level folder, alias hearth::NAME,
# public headers under NAME/include/hearth/NAME/, private sources under NAME/src/.
function(hearth_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow)
  # GCC 12 misreports Asio's coroutine-frame allocator (class-specific new/delete) as a
  # mismatch; the pairing is correct and GCC 13 no longer warns.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
  endif()
  if(HEARTH_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(hearth_sanitize target)
  if(HEARTH_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

function(hearth_add_module name)
  if(ARGN)
    add_library(hearth_${name} STATIC ${ARGN})
    target_include_directories(hearth_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                              PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
    hearth_warnings(hearth_${name})
    hearth_sanitize(hearth_${name})
  else()
    add_library(hearth_${name} INTERFACE)
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/include)
      target_include_directories(hearth_${name} INTERFACE ${CMAKE_CURRENT_SOURCE_DIR}/include)
    endif()
  endif()
  add_library(hearth::${name} ALIAS hearth_${name})
endfunction()

# Executables and test binaries get the same warnings and sanitizers as the libraries.
function(hearth_executable_flags target)
  hearth_warnings(${target})
  hearth_sanitize(${target})
endfunction()

# The modules a proxied request runs through build at -O3 in optimized builds: about 4 % fewer
# instructions per proxied request than -O2 (bench/README.md, session 22), for about 8 % more
# compile time of those modules. The rest stays at the build type's level.
function(hearth_request_path target)
  target_compile_options(${target} PRIVATE $<$<CONFIG:Release,RelWithDebInfo>:-O3>)
endfunction()
