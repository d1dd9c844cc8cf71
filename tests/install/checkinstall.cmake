# Installs the build tree into a scratch prefix and checks that a desktop user gets both
# programs, the launcher entry and the icon. Run by CTest as the test "install_layout".
set(_prefix "${BUILD_DIR}/install-check")
file(REMOVE_RECURSE "${_prefix}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${_prefix}"
    RESULT_VARIABLE _rc OUTPUT_QUIET)
if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "cmake --install failed with ${_rc}")
endif()
foreach(_file
        bin/quantscope
        bin/quantscope-cli
        share/applications/io.github.quantscope.Quantscope.desktop
        share/icons/hicolor/scalable/apps/quantscope.svg
        share/icons/hicolor/256x256/apps/quantscope.png)
    if(NOT EXISTS "${_prefix}/${_file}")
        message(FATAL_ERROR "missing after install: ${_file}")
    endif()
endforeach()
file(STRINGS "${_prefix}/share/applications/io.github.quantscope.Quantscope.desktop" _exec REGEX "^Exec=")
if(NOT _exec MATCHES "^Exec=quantscope ")
    message(FATAL_ERROR "the desktop entry does not launch quantscope: ${_exec}")
endif()
file(REMOVE_RECURSE "${_prefix}")
