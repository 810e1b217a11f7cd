# ctest cuda_sources_compile (cmake -P): compiles every csrc/rebalance/ops/cuda/*.cu with nvcc
# and syntax-checks every plugin/cuda/*.cpp with the C++ compiler, against the Torch headers
# found, on a machine whose Torch has no CUDA libraries (nothing of those is linked or run).
# Then builds and runs each tests/cuda/*.cu: host checks of the kernels' per-element math,
# which need nvcc and the CUDA runtime library but no GPU.
# Inputs: NVCC, CXX, SOURCE_DIR, OUTPUT_DIR, INCLUDE_DIRS and CUDA_FLAGS ('|'-separated).
string(REPLACE "|" ";" include_dirs "${INCLUDE_DIRS}")
string(REPLACE "|" ";" cuda_flags "${CUDA_FLAGS}")
set(include_flags "-I${SOURCE_DIR}/csrc")
foreach(dir ${include_dirs})
  list(APPEND include_flags "-I${dir}")
endforeach()
# A CPU-only Torch install lacks the generated c10/cuda/impl/cuda_cmake_macros.h; it only
# defines C10_CUDA_BUILD_SHARED_LIBS, which this check does not need.
set(common_flags -std=c++17 -D_GLIBCXX_USE_CXX11_ABI=1 -DC10_CUDA_NO_CMAKE_CONFIGURE_FILE)
# One real architecture keeps the check short; sm_90 is the H100/H200 the device check uses.
set(nvcc_flags -c -arch=sm_90 -ccbin ${CXX} -Xcompiler=-fPIC ${cuda_flags})

file(GLOB cu_sources ${SOURCE_DIR}/csrc/rebalance/ops/cuda/*.cu)
file(GLOB plugin_sources ${SOURCE_DIR}/plugin/cuda/*.cpp)
if(NOT cu_sources OR NOT plugin_sources)
  message(FATAL_ERROR "cuda_sources_compile: no .cu files in csrc/rebalance/ops/cuda or no .cpp "
    "in plugin/cuda")
endif()
file(MAKE_DIRECTORY ${OUTPUT_DIR})
set(failed "")
foreach(src ${cu_sources} ${plugin_sources})
  get_filename_component(name ${src} NAME)
  if(src MATCHES "\\.cu$")
    set(cmd ${NVCC} ${nvcc_flags} ${common_flags} ${include_flags} ${src}
      -o ${OUTPUT_DIR}/${name}.o)
  else()
    set(cmd ${CXX} -fsyntax-only -Wall -Wextra -Wno-unused-parameter ${common_flags}
      ${include_flags} ${src})
  endif()
  string(TIMESTAMP start "%s")
  execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  string(TIMESTAMP stop "%s")
  math(EXPR seconds "${stop} - ${start}")
  if(rc EQUAL 0)
    message(STATUS "compiled ${name} (${seconds} s)${out}")
  else()
    list(APPEND failed ${name})
    string(REPLACE ";" " " shown "${cmd}")
    message("FAILED ${name}: ${shown}\n${out}")
  endif()
endforeach()
file(GLOB host_checks ${SOURCE_DIR}/tests/cuda/*.cu)
foreach(src ${host_checks})
  get_filename_component(name ${src} NAME_WE)
  execute_process(COMMAND ${NVCC} -std=c++17 -arch=sm_90 -ccbin ${CXX} -I${SOURCE_DIR}/csrc
    ${src} -o ${OUTPUT_DIR}/${name} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0)
    execute_process(COMMAND ${OUTPUT_DIR}/${name} RESULT_VARIABLE rc OUTPUT_VARIABLE out
      ERROR_VARIABLE out)
  endif()
  if(rc EQUAL 0)
    message(STATUS "ran ${name}: ${out}")
  else()
    list(APPEND failed ${name})
    message("FAILED ${name}:\n${out}")
  endif()
endforeach()
if(failed)
  message(FATAL_ERROR "cuda_sources_compile: failed: ${failed}")
endif()
