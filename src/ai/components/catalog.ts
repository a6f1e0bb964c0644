import type { BuildOptions } from './buildOptions.js'
import type { Component } from './draft.js'
import { card, list, loginForm, modalDialog, signUpForm } from './formBuilders.js'
import {
  dataTable,
  desktopFrame,
  footer,
  heroSection,
  navigationBar,
  phoneFrame,
  pricingTable,
  sidebar,
  tabs,
} from './sectionBuilders.js'
import {
  avatar,
  badge,
  button,
  chartPlaceholder,
  checkbox,
  dropdown,
  imagePlaceholder,
  searchBar,
  textInput,
  toggle,
} from './widgetBuilders.js'

export interface ComponentSpec {
  build(options: BuildOptions): Component
  /** For people (docs, suggestions) and for Claude (the tool's description). */
  description: string
  /** What `labels` mean for it, in order. */
  labels: string
  /** What `count` means for it, when it takes one. */
  count?: string
  /** Words that name it, for the planner: the first is its name in prose. */
  words: readonly string[]
}

/** Every component the AI can build, by kind. The planner, Claude's tools and docs/ai.md read this. */
export const COMPONENTS = {
  button: { build: button, description: 'a button', labels: 'its label', words: ['button', 'btn', 'cta'] },
  'text-input': {
    build: textInput,
    description: 'a labelled text field',
    labels: 'caption, placeholder',
    words: ['text input', 'input field', 'text field', 'input', 'field', 'textbox', 'text box'],
  },
  'login-form': {
    build: loginForm,
    description: 'a sign-in form: title, email and password fields, button, link',
    labels: 'title, button label',
    words: [
      'login form',
      'log in form',
      'sign in form',
      'signin form',
      'login',
      'log in',
      'sign in',
      'login screen',
      'login page',
    ],
  },
  'signup-form': {
    build: signUpForm,
    description: 'a registration form: name, email, password, confirmation, button',
    labels: 'title, button label',
    words: [
      'sign up form',
      'signup form',
      'registration form',
      'register form',
      'sign up',
      'signup',
      'registration',
      'create account form',
    ],
  },
  card: {
    build: card,
    description: 'a content card: image, title, text, button',
    labels: 'title, text, button label',
    words: ['card', 'product card', 'tile'],
  },
  'navigation-bar': {
    build: navigationBar,
    description: 'a top navigation bar: logo, links, call to action',
    labels: 'brand, then link names',
    count: 'links (1–5)',
    words: [
      'navigation bar',
      'navbar',
      'nav bar',
      'navigation',
      'nav',
      'header',
      'menu bar',
      'top bar',
      'menu',
    ],
  },
  'hero-section': {
    build: heroSection,
    description: 'a landing-page hero: headline, subheadline, two buttons',
    labels: 'headline, subheadline, primary and secondary button labels',
    words: ['hero section', 'hero', 'landing section', 'banner', 'landing page', 'jumbotron'],
  },
  'pricing-table': {
    build: pricingTable,
    description: 'pricing tiers side by side, the middle one highlighted',
    labels: 'tier names',
    count: 'tiers (1–5)',
    words: ['pricing table', 'pricing', 'price table', 'plans', 'pricing tiers', 'pricing plans', 'tiers'],
  },
  'modal-dialog': {
    build: modalDialog,
    description: 'a modal dialog: title, close, text, cancel and confirm buttons',
    labels: 'title, text, cancel label, confirm label',
    words: [
      'modal dialog',
      'modal',
      'dialog',
      'popup',
      'pop up',
      'dialog box',
      'confirmation dialog',
      'alert',
    ],
  },
  'data-table': {
    build: dataTable,
    description: 'a table with a header row',
    labels: 'column headers',
    count: 'rows (1–12)',
    words: ['data table', 'table', 'grid table', 'spreadsheet', 'data grid'],
  },
  list: {
    build: list,
    description: 'a bulleted list with dividers',
    labels: 'items',
    count: 'items (1–12)',
    words: ['list', 'bullet list', 'todo list', 'to do list', 'checklist items'],
  },
  sidebar: {
    build: sidebar,
    description: 'a side navigation: title and items, the first active',
    labels: 'title, then item names',
    count: 'items (1–12)',
    words: ['sidebar', 'side bar', 'side nav', 'side navigation', 'side menu', 'drawer'],
  },
  footer: {
    build: footer,
    description: 'a page footer: link columns, rule, copyright',
    labels: 'copyright line',
    count: 'link columns (1–4)',
    words: ['footer', 'page footer', 'site footer'],
  },
  avatar: {
    build: avatar,
    description: 'a round avatar with initials',
    labels: "the person's name",
    words: ['avatar', 'profile picture', 'profile pic', 'user icon', 'profile photo'],
  },
  badge: {
    build: badge,
    description: 'a small pill label',
    labels: 'its text',
    words: ['badge', 'tag', 'chip', 'pill', 'label tag'],
  },
  toggle: {
    build: toggle,
    description: 'an on/off switch with a label',
    labels: 'its label',
    words: ['toggle', 'switch', 'toggle switch', 'on off switch'],
  },
  checkbox: {
    build: checkbox,
    description: 'a checked box with a label',
    labels: 'its label',
    words: ['checkbox', 'check box', 'tickbox', 'tick box'],
  },
  dropdown: {
    build: dropdown,
    description: 'a select box with a chevron',
    labels: 'the shown value',
    words: ['dropdown', 'drop down', 'select', 'select box', 'combobox', 'combo box', 'picker'],
  },
  'search-bar': {
    build: searchBar,
    description: 'a search field with an icon',
    labels: 'placeholder',
    words: ['search bar', 'search box', 'search field', 'search input', 'search'],
  },
  tabs: {
    build: tabs,
    description: 'a row of tabs, the first active',
    labels: 'tab names',
    count: 'tabs (1–8)',
    words: ['tabs', 'tab bar', 'tab strip', 'tabbed menu', 'tab'],
  },
  'chart-placeholder': {
    build: chartPlaceholder,
    description: 'a bar chart placeholder with a title',
    labels: 'title',
    count: 'bars (1–12)',
    words: ['chart placeholder', 'bar chart', 'chart', 'graph', 'bar graph', 'diagram'],
  },
  'image-placeholder': {
    build: imagePlaceholder,
    description: 'an image placeholder (crossed box) with a caption',
    labels: 'caption',
    words: ['image placeholder', 'image', 'picture', 'photo', 'placeholder image', 'img'],
  },
  'phone-frame': {
    build: phoneFrame,
    description: 'a phone screen (392×848) to design in',
    labels: 'screen title',
    words: ['phone frame', 'phone', 'mobile frame', 'mobile screen', 'iphone', 'mobile', 'smartphone'],
  },
  'desktop-frame': {
    build: desktopFrame,
    description: 'a desktop screen (1440×904) to design in',
    labels: 'window title',
    words: [
      'desktop frame',
      'desktop',
      'browser frame',
      'desktop screen',
      'laptop',
      'web page frame',
      'browser window',
    ],
  },
} as const satisfies Record<string, ComponentSpec>

export type ComponentKind = keyof typeof COMPONENTS

export const COMPONENT_KINDS = Object.keys(COMPONENTS) as ComponentKind[]

export function isComponentKind(value: string): value is ComponentKind {
  return Object.hasOwn(COMPONENTS, value)
}
