// The bot's command menu (the "/" button in Telegram), set with setMyCommands at start: Indonesian
// as the default, English for users whose Telegram is in English. Every command here must be an
// alias in flows/_commands.yaml (the channel checks at start and warns; a test checks too), so
// picking one from the menu does what typing it does.
import type { BotCommand, LanguageCode } from 'grammy/types';

export interface CommandMenu {
  /** language_code for setMyCommands; undefined = the default for every language. */
  languageCode?: LanguageCode;
  commands: BotCommand[];
}

export const COMMAND_MENUS: readonly CommandMenu[] = [
  {
    commands: [
      { command: 'menu', description: 'Menu utama' },
      { command: 'kembali', description: 'Kembali ke pertanyaan sebelumnya' },
      { command: 'ulang', description: 'Mulai lagi bagian ini dari awal' },
      { command: 'bantuan', description: 'Daftar perintah' },
      { command: 'bahasa', description: 'Ganti bahasa / Change language' },
      { command: 'petugas', description: 'Bicara dengan petugas' },
      { command: 'hapusdata', description: 'Hapus semua data Anda di Pandu' },
    ],
  },
  {
    languageCode: 'en',
    commands: [
      { command: 'menu', description: 'Main menu' },
      { command: 'back', description: 'Back to the previous question' },
      { command: 'restart', description: 'Start this part again' },
      { command: 'help', description: 'List of commands' },
      { command: 'language', description: 'Change language / Ganti bahasa' },
      { command: 'agent', description: 'Talk to a person' },
      { command: 'deletedata', description: 'Delete everything Pandu holds about you' },
    ],
  },
];
