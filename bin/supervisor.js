#!/usr/bin/env node
// The `supervisor` command: the CLI as one bundle (dist/bundle, built by `npm run build`), since loading one
// file instead of a few hundred modules halves the start-up of every command.
import '../dist/bundle/main.js';
