#!/usr/bin/env node
// The `supervisor` command: the built CLI does everything.
import '../dist/cli/main.js';
