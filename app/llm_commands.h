// kiln generate / chat / embed: the embedded executor from the terminal.
#pragma once

#include "app/cli.h"
#include "base/status.h"

namespace kiln::app {

// Streams a continuation of --prompt to stdout, then timings to stderr.
Status RunGenerate(const LlmOptions& options);
// An interactive conversation: reads a line, streams the answer, repeats
// until end of input or "/exit"; "/reset" starts over.
Status RunChat(const LlmOptions& options);
// Prints one JSON array per text: its embedding.
Status RunEmbed(const LlmOptions& options);

}  // namespace kiln::app
