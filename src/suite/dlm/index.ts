/** The .dlm bridge: parsing, the runner's loader and the autogen writer. */
export { parseDlm, sectionId, type DlmDocument } from './parse.js';
export { dlmHome, loadDlmSource, type DlmSource } from './source.js';
export { auto3, planSuite, renderSwayYaml, STYLE_PROMPTS, type AutogenOptions } from './autogen.js';
