// ESLint for the page scripts (`make lint-js`): ES modules in the browser, the recommended rules.
import js from '@eslint/js';
import globals from 'globals';

export default [
  {ignores: ['node_modules/']},
  js.configs.recommended,
  {languageOptions: {ecmaVersion: 'latest', sourceType: 'module', globals: globals.browser}},
];
